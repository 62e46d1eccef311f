import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInventory } from '../../engine/inventory.ts';
import { NOT_IMPLEMENTED } from '../../engine/schema.ts';
import { validateInventory } from '../../engine/validate.ts';
import { checks } from '../../roles/checks.ts';
import { PigstyParams } from '../../roles/params.ts';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'inert-'));
afterAll(() => rmSync(dir, { recursive: true }));

const props = PigstyParams.properties as Record<string, Record<string, unknown>>;
const marked = Object.keys(props).filter((name) => typeof props[name]?.[NOT_IMPLEMENTED] === 'string');
const pigsty = { schema: PigstyParams, checks };
const warningsOf = (yaml: string, extraVars = {}) =>
  validateInventory(parseInventory(yaml, 'inv.yml'), { ...pigsty, extraVars }).warnings.map((w) => w.describe());

// Hosts under .invalid never resolve: nothing here can reach a machine.
const INVENTORY = `all:
  children:
    pg-meta:
      hosts:
        meta.invalid: { pg_seq: 1, pg_role: primary, pgbackrest_exporter_port: 9632 }
        meta2.invalid: { pg_seq: 2, pg_role: replica, pgbackrest_exporter_port: 9633 }
      vars:
        pg_cluster: pg-meta
        grafana_admin_password: Gr4fana.Own.Secret
        vector_port: 9598
        pgbackrest_exporter_port: 9854
  vars:
    admin_ip: 10.10.10.10
    minio_buckets: [{ name: pgsql }, { name: meta, versioning: true }, { name: data }]
`;

describe('parameters no role reads yet', () => {
  it('one warning per parameter set away from its default, naming it, its role and each place; never the value', () => {
    expect(warningsOf(INVENTORY)).toEqual([
      'inv.yml:5:54: all.children.pg-meta.hosts["meta.invalid"].pgbackrest_exporter_port: pgbackrest_exporter_port is not implemented yet (the pg_monitor role will read it): setting it has no effect; also set at inv.yml:6:55',
      'inv.yml:9:9: all.children.pg-meta.vars.grafana_admin_password: grafana_admin_password is not implemented yet (the infra role will read it): setting it has no effect',
    ]);
  });

  it('is quiet at Pigsty defaults (scalars, lists of mappings) and says "-e" for extra vars', () => {
    const quiet = 'all:\n  hosts: { a.invalid: { vector_port: 9598, dns_enabled: true } }\n  vars: { admin_ip: 10.10.10.10 }\n';
    expect(warningsOf(quiet)).toEqual([]);
    expect(warningsOf(quiet, { pgbackrest_exporter_port: 9854, juice_instances: {} })).toEqual([]);
    expect(warningsOf(quiet, { pg_exporter_cache_ttls: '9999' })).toEqual([
      '-e: pg_exporter_cache_ttls is not implemented yet (the pg_monitor role will read it): setting it has no effect',
    ]);
  });

  it('never shows the value of a secret-named parameter', () => {
    const all = warningsOf(INVENTORY, { code_password: 'C0de.Secret', minio_secret_key: 'M1nio.Secret' }).join('\n');
    expect(all).toContain('-e: code_password is not implemented yet (the vibe role will read it)');
    expect(all).toContain('-e: minio_secret_key is not implemented yet (the minio role will read it)');
    expect(all).not.toMatch(/C0de\.Secret|M1nio\.Secret|Gr4fana/);
  });

  it('deploy.ts prints the warning with its place before refusing a run, with and without --json', () => {
    const file = join(dir, 'inv.yml');
    writeFileSync(file, INVENTORY);
    for (const json of [[], ['--json']]) {
      // --strict refuses before any connection: the inventory leaves passwords at Pigsty's published defaults.
      const r = spawnSync(
        join(ROOT, 'deploy.ts'),
        ['-i', file, '--strict', '-e', 'pg_exporter_cache_ttls=9999', '-e', 'jupyter_password=Jupyt3r.Secret', ...json],
        {
          encoding: 'utf8',
          cwd: ROOT,
          timeout: 60_000,
        },
      );
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines.filter((l) => l.includes('pg_exporter_cache_ttls'))).toEqual([
        'warning: -e: pg_exporter_cache_ttls is not implemented yet (the pg_monitor role will read it): setting it has no effect',
      ]);
      expect(lines.filter((l) => l.includes('grafana_admin_password'))).toEqual([
        `warning: ${file}:9:9: all.children.pg-meta.vars.grafana_admin_password: grafana_admin_password is not implemented yet (the infra role will read it): setting it has no effect`,
      ]);
      expect(r.stderr).toContain('warning: -e: jupyter_password is not implemented yet (the vibe role will read it)');
      expect(r.stderr).not.toMatch(/Jupyt3r|Gr4fana|9999/);
    }
  }, 120_000);
});

//------------------------------------------------------------------ marks follow the code

/** Source the roles and playbooks run: TypeScript and Handlebars templates, the parameter schema itself aside. */
function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|hbs)$/.test(e.name) && relative(ROOT, p) !== join('roles', 'params.ts'))
        out.push({ file: relative(ROOT, p), text: readFileSync(p, 'utf8') });
    }
  };
  for (const d of ['roles', 'playbooks', 'engine']) walk(join(ROOT, d));
  return out;
}

/**
 * Where a name is read: in TypeScript as a property (`v.name`, `?.name`), a string literal (`v.name`,
 * `Pick<..., 'name'>`) or a shorthand in braces, comments aside; in a template inside `{{ }}`. A role default
 * (`name: value`) alone is not a read. No role builds a parameter name at run time (no `v[...]` with a computed
 * key), so searching for the literal name finds every read.
 */
function readers(name: string, files: { file: string; text: string }[]): string[] {
  const ts = new RegExp(`(?:\\.|\\?\\.)${name}(?!\\w)|(['"\`])${name}\\1|[{,]\\s*${name}\\s*[,}](?!\\s*:)`);
  const hbs = new RegExp(`(?<![\\w.-])${name}(?![\\w-])`);
  return files
    .filter(({ file, text }) =>
      file.endsWith('.hbs')
        ? [...text.matchAll(/\{\{[\s\S]*?\}\}/g)].some((m) => hbs.test(m[0]))
        : ts.test(text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')),
    )
    .map(({ file }) => file);
}

// Words that are also ordinary property names (an extension item's `version`): found, but not as the parameter.
const ORDINARY_WORDS = new Set(['version']);

describe('every declared parameter is read or marked', () => {
  const files = sources();

  it('no parameter is declared that nothing reads and nothing marks', () => {
    const inert = Object.keys(props).filter((name) => !marked.includes(name) && readers(name, files).length === 0);
    expect(inert).toEqual([]);
  });

  it('no marked parameter is read: a role that starts reading one drops its mark', () => {
    const read = marked
      .filter((name) => !ORDINARY_WORDS.has(name))
      .map((name) => [name, readers(name, files)] as const)
      .filter(([, by]) => by.length > 0);
    expect(read).toEqual([]);
  });

  it('marks name a role, and parameters removed from Pigsty v4.0 are gone', () => {
    for (const name of marked) expect(props[name]?.[NOT_IMPLEMENTED]).toMatch(/^[a-z_]+$/);
    for (const name of ['etcd_clean', 'minio_clean', 'pg_pwd_enc']) expect(Object.keys(props)).not.toContain(name);
  });
});
