import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorAt, formatPath, loadYaml, parseYaml } from '../../engine/yaml.ts';
import { thrown } from './thrown.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/inventory/${name}`, import.meta.url));
const doc = loadYaml(fixture('yaml11.yml'));
const data = doc.data as Record<string, Record<string, unknown>>;

describe('YAML 1.1 scalars as Ansible (PyYAML) reads them', () => {
  it('reads yes/no/on/off/true/false in their three spellings as booleans, but y/n and quoted words as text', () => {
    expect(data.flags).toEqual({ a: true, b: false, c: true, d: false, e: 'y', f: 'n', g: 'yes', h: true });
  });

  it('reads a leading 0 as octal, 0x as hex, a:b as base 60, and keeps 09 and 00:30 as text', () => {
    expect(data.modes).toEqual({ dir: 0o755, file: 0o644, hex: 31, plain: '09', time: 90, clock: '00:30', big: 1000 });
  });

  it('needs a dot and a signed exponent for floats', () => {
    expect(data.floats).toEqual({ half: 0.5, sci: 1500, noexp: '1e3', inf: -Infinity });
  });

  it('keeps dates and IP addresses as text, and empty or ~ as null', () => {
    expect(data.text).toEqual({ date: '2024-01-31', ip: '10.10.10.10', version: 17.2, empty: null, tilde: null });
  });

  it('applies merge keys: explicit keys win, then earlier sources in the list', () => {
    expect(data.merged).toEqual({ pg_role: 'replica', pg_seq: 2, tags: ['a', 'b'], pg_weight: 100 });
    expect(data.alias).toEqual({ pg_role: 'replica', pg_seq: 0, tags: ['a', 'b'] });
  });

  it('resolves !unsafe to the plain text', () => {
    expect(parseYaml("x: !unsafe '{{ not_a_template }}'", 'u.yml').data).toEqual({ x: '{{ not_a_template }}' });
  });
});

describe('source positions of YAML paths', () => {
  it('gives the line and column of a key inside a flow mapping', () => {
    expect(doc.locate(['modes', 'file'])).toEqual({ file: fixture('yaml11.yml'), line: 2, column: 21 });
  });

  it('follows merge keys and aliases to where the value is written', () => {
    expect(doc.locate(['merged', 'pg_role'])?.line).toBe(6);
    expect(doc.locate(['merged', 'pg_seq'])?.line).toBe(12);
    expect(doc.locate(['merged', 'pg_weight'])).toMatchObject({ line: 9, column: 17 });
    expect(doc.locate(['alias', 'tags', 1])).toMatchObject({ line: 8, column: 13 });
  });

  it('returns undefined for a path that is not in the file', () => {
    expect(doc.locate(['modes', 'missing'])).toBeUndefined();
    expect(doc.locate(['flags', 'a', 'below_a_scalar'])).toBeUndefined();
    expect(doc.locate(['alias', 'tags', 5])).toBeUndefined();
  });

  it('builds errors that name file, line, column and the dotted path', () => {
    const e = errorAt(doc, ['text', 'ip'], 'bad address', 'an IPv4 address');
    expect(e.describe()).toBe(`${fixture('yaml11.yml')}:4:27: text.ip: bad address (expected an IPv4 address)`);
  });

  it('formats keys that are not identifiers in brackets', () => {
    expect(formatPath(['all', 'children', 'pg-test', 'hosts', '10.10.10.11', 'pg_users', 0, 'name'])).toBe(
      'all.children.pg-test.hosts["10.10.10.11"].pg_users[0].name',
    );
  });
});

describe('YAML problems', () => {
  it('turns a syntax error into an EngineError at its line', () => {
    const e = thrown(() => parseYaml('a: 1\nb: c: d\n', 'broken.yml'));
    expect(e.context).toMatchObject({ file: 'broken.yml', line: 2, column: 4 });
    expect(e.expected).toBe('valid YAML');
  });

  it('rejects tags Ansible would need a vault or Python for', () => {
    const e = thrown(() => parseYaml('a: 1\nsecret: !vault |\n  $ANSIBLE_VAULT;1.1\n', 'vault.yml'));
    expect(e.message).toBe('Unresolved tag: !vault');
    expect(e.context).toMatchObject({ file: 'vault.yml', line: 2, column: 9 });
  });

  it('keeps the last of duplicate keys and warns with the line of the repeat', () => {
    const parsed = parseYaml('pg_role: primary\npg_seq: 1\npg_role: replica\n', 'dup.yml');
    expect(parsed.data).toEqual({ pg_role: 'replica', pg_seq: 1 });
    expect(parsed.warnings.map((w) => w.describe())).toEqual([
      'dup.yml:3:1: duplicate key "pg_role"; the last value is used (expected unique keys in a mapping)',
    ]);
  });

  it('rejects a merge key whose value is not a mapping', () => {
    const e = thrown(() => parseYaml('base: &b 1\nx:\n  <<: *b\n', 'merge.yml'));
    expect(e.context).toMatchObject({ line: 3, column: 7 });
  });

  it('reports a file that cannot be read', () => {
    const e = thrown(() => loadYaml(fixture('does-not-exist.yml')));
    expect(e.context.file).toBe(fixture('does-not-exist.yml'));
    expect(e.message).toMatch(/^cannot read file: ENOENT/);
  });
});
