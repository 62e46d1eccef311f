import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../engine/inventory.ts';
import { groupNamesOf, inventoryVars, mergeLayers, parseExtraVars, parseExtraVarsWithText } from '../../engine/vars.ts';
import { thrown } from './thrown.ts';

const dir = fileURLToPath(new URL('../fixtures/inventory/', import.meta.url));
const full = loadInventory(`${dir}full.yml`);
const nested = loadInventory(`${dir}nested.yml`);

describe('inventoryVars precedence', () => {
  it('layers all < groups by depth (siblings by name) < host, replacing whole top-level keys', () => {
    expect(inventoryVars(nested, '10.0.0.2').vars).toEqual({
      level: 'web-prod',
      only_all: 1,
      shared: { from: 'zeta' },
      sibling: 'zeta',
      web_var: 'w',
      prod_var: 'p',
      second_definition: true,
      z: 2,
      a: 1,
    });
  });

  it('lets host vars beat every group, and a top-level group beat all', () => {
    expect(inventoryVars(nested, '10.0.0.1').vars.level).toBe('host');
    expect(inventoryVars(nested, '10.0.0.5').vars.level).toBe('standalone');
    expect(inventoryVars(nested, '10.0.0.9').vars).toEqual({ level: 'all', only_all: 1, shared: { from: 'all', deep: 1 }, lonely: true });
  });

  it('records which layer and YAML path gave each final value', () => {
    const { origins } = inventoryVars(nested, '10.0.0.2');
    expect(origins.get('level')).toEqual({ layer: 'group:web-prod', path: ['all', 'children', 'web', 'children', 'web-prod', 'vars', 'level'] });
    expect(origins.get('second_definition')).toEqual({
      layer: 'group:web-prod',
      path: ['all', 'children', 'db', 'children', 'web-prod', 'vars', 'second_definition'],
    });
    expect(origins.get('sibling')?.layer).toBe('group:zeta');
    expect(origins.get('only_all')).toEqual({ layer: 'group:all', path: ['all', 'vars', 'only_all'] });
    expect(origins.get('z')).toEqual({ layer: 'host', path: ['all', 'children', 'alpha', 'hosts', '10.0.0.2', 'z'] });
    expect(nested.locate(origins.get('second_definition')?.path ?? [])?.line).toBe(29);
    expect(nested.locate(origins.get('z')?.path ?? [])).toMatchObject({ line: 24, column: 27 });
  });

  it('gives a pg-test replica its cluster, role and global vars', () => {
    const { vars, origins } = inventoryVars(full, '10.10.10.13');
    expect([vars.pg_cluster, vars.pg_role, vars.pg_offline_query, vars.admin_ip, vars.node_tune]).toEqual([
      'pg-test',
      'replica',
      true,
      '10.10.10.10',
      'oltp',
    ]);
    expect(origins.get('pg_role')?.layer).toBe('host');
    expect(full.locate(origins.get('pg_cluster')?.path ?? [])?.line).toBe(35);
  });

  it('refuses a host that is not in the inventory', () => {
    expect(thrown(() => inventoryVars(full, '10.10.10.99')).message).toBe('host "10.10.10.99" is not in the inventory');
  });
});

describe('groupNamesOf', () => {
  it('lists direct and inherited groups except all, sorted', () => {
    expect(groupNamesOf(nested, '10.0.0.2')).toEqual(['alpha', 'db', 'web', 'web-prod', 'zeta']);
    expect(groupNamesOf(nested, '10.0.0.9')).toEqual(['ungrouped']);
    expect(groupNamesOf(full, '10.10.10.10')).toEqual(['etcd', 'infra', 'minio', 'pg-meta']);
  });
});

describe('mergeLayers', () => {
  it('lets later layers replace top-level keys without touching the inputs', () => {
    const base = { a: 1, b: { x: 1 } };
    expect(mergeLayers(base, { b: { y: 2 } }, { c: 3 })).toEqual({ a: 1, b: { y: 2 }, c: 3 });
    expect(base).toEqual({ a: 1, b: { x: 1 } });
  });
});

describe('parseExtraVars', () => {
  it('reads key=value pairs with quotes, escapes and templates; unquoted booleans and numbers are typed', () => {
    expect(parseExtraVars(['pg_rm_pkg=false on=yes port=5432 quoted="false" ip=10.10.10.10 pw="123456"'], dir)).toEqual({
      pg_rm_pkg: false,
      on: true,
      port: 5432,
      quoted: 'false',
      ip: '10.10.10.10',
      pw: '123456',
    });
    expect(parseExtraVars(['pg_version=16 msg="hello world" empty= tab=a\\tb', "x={{ a | default('b c') }}"], dir)).toEqual({
      pg_version: 16,
      msg: 'hello world',
      empty: '',
      tab: 'a\tb',
      x: "{{ a | default('b c') }}",
    });
  });

  it('reads inline JSON and YAML 1.1 mappings', () => {
    expect(parseExtraVars(['{"a": 1, "b": [true]}'], dir)).toEqual({ a: 1, b: [true] });
    expect(parseExtraVars(['{a: yes, mode: 0755}'], dir)).toEqual({ a: true, mode: 0o755 });
  });

  it('reads @file.yml and @file.json relative to cwd, later arguments winning', () => {
    expect(parseExtraVars(['@extra.yml'], dir)).toEqual({ pg_version: 16, node_tune: 'crit', enabled: true });
    expect(parseExtraVars(['@extra.yml', 'pg_version=14 node_tune=tiny', '@extra.json'], dir)).toEqual({
      pg_version: 15,
      node_tune: 'tiny',
      enabled: true,
      pg_users: [{ name: 'x' }],
    });
  });

  it('keeps the text of the key=value pair that set each variable last, and drops it when a file or mapping sets it after', () => {
    const { vars, text } = parseExtraVarsWithText(['pw=007 pg_version=14 q="010"', '@extra.json', 'flag=yes'], dir);
    expect(vars).toEqual({ pw: 7, pg_version: 15, q: '010', pg_users: [{ name: 'x' }], flag: true });
    expect(text).toEqual({ pw: '007', q: '010', flag: 'yes' });
  });

  it('names the argument by its position in errors, never by its text (it may hold a secret)', () => {
    expect(thrown(() => parseExtraVars(['pg_version'], dir)).message).toBe('extra vars #1: word 1 is not key=value');
    expect(thrown(() => parseExtraVars(['a=1', 'pg_admin_password=x Secret99'], dir)).message).toBe('extra vars #2: word 2 is not key=value');
    expect(thrown(() => parseExtraVars(['./extra.yml'], dir)).expected).toBe('@./extra.yml to read variables from a file');
    expect(thrown(() => parseExtraVars(['[1, 2]'], dir)).message).toBe('extra vars #1 is a list, not a mapping');
    expect(thrown(() => parseExtraVars(['{a: 1'], dir)).context.file).toBe('extra vars #1');
    expect(thrown(() => parseExtraVars(['msg="open'], dir)).message).toBe('extra vars #1: a " quote is not closed');
    expect(thrown(() => parseExtraVars(['@missing.yml'], dir)).context.file).toBe(`${dir}missing.yml`);
  });
});
