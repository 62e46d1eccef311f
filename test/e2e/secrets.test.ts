import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePlaybook } from '../../engine/compile.ts';
import { isSecretName } from '../../engine/output/mask.ts';
import { parseInventory } from '../../engine/inventory.ts';
import { inventoryVars } from '../../engine/vars.ts';
import { parseYaml } from '../../engine/yaml.ts';
import { deploy } from '../../playbooks/deploy.ts';
import { recap, ROOT, runEntry, sandbox, type Run } from './harness.ts';

// One extra node of its own: the single-node inventory with meta's address replaced, and two passwords left to
// the pgsql role's defaults so that role-default secrets are in use.
const NODE = 'x65';
const IP = '10.10.10.65';
const dir = mkdtempSync(join(tmpdir(), 'pgsty-secrets-'));
const base = readFileSync(join(ROOT, 'inventory', 'pigsty.yml'), 'utf8')
  .replace(/10\.10\.10\.10\b/g, IP)
  .replace(/^ *(patroni_password|pg_replication_password): .*\n/gm, '');

function inventory(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Every value under a secret name, at any depth. */
function secretsIn(value: unknown, secretName = false): string[] {
  if (typeof value === 'string' || typeof value === 'number') return secretName && String(value) !== '' ? [String(value)] : [];
  if (Array.isArray(value)) return value.flatMap((v) => secretsIn(v, secretName));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => secretsIn(v, secretName || isSecretName(k)));
  return [];
}

const EXTRA = { pg_admin_password: 'E2e.Extra.Admin9', some_password: 'E2e.Some.Value7' };
const CHANGED_USER_PASSWORD = 'E2e.Changed.Meta5';
const INVALID = 27182818;
const INVENTORY_SECRETS = secretsIn(parseYaml(base, 'pigsty.yml').data);
/** Role defaults and role vars under secret names, as the host sees them: those the inventory and -e leave in place. */
const hostVars = { ...inventoryVars(parseInventory(base, 'pigsty.yml'), IP).vars, ...EXTRA };
const ROLE_SECRETS = compilePlaybook(deploy).flatMap((p) =>
  Object.entries({ ...p.defaults, ...p.roleVars }).flatMap(([k, v]) => (k in hostVars ? [] : secretsIn(v, isSecretName(k)))),
);
const SECRETS = [
  ...new Set([
    ...INVENTORY_SECRETS,
    ...ROLE_SECRETS,
    ...Object.values(EXTRA),
    CHANGED_USER_PASSWORD,
    String(INVALID),
    // Derived by the pgsql role when the inventory sets none: the pgsodium key of pg-meta.
    createHash('sha256').update('pg-meta').digest('hex'),
  ]),
];

/**
 * Where a secret shows in text, by the README's rule: a value of 8+ characters with a digit or punctuation anywhere;
 * a shorter one or a plain word as a whole token outside paths and dotted names.
 */
function shows(text: string, secret: string): boolean {
  if (secret.length >= 8 && !/^[A-Za-z]+$/.test(secret)) return text.includes(secret);
  const body = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w/])(?<!\\w\\.)${body}(?![\\w/])(?!\\.\\w)`).test(text);
}

function leaked(run: Run): string[] {
  const text = `${run.stdout}\n${run.stderr}`;
  return SECRETS.filter((s) => shows(text, s));
}

describe('no secret of the inventory, of role defaults or of -e appears in any output', () => {
  beforeAll(() => {
    sandbox('up', NODE);
    sandbox('reset', NODE);
  });

  it('collects the secrets it looks for', () => {
    expect(SECRETS).toEqual(
      expect.arrayContaining(['DBUser.Meta', 'DBUser.Viewer', 'HAProxy.Admin', 'Etcd.Root', 'Patroni.API', 'E2e.Extra.Admin9']),
    );
    expect(ROLE_SECRETS).toEqual(expect.arrayContaining(['Patroni.API', 'DBUser.Replicator']));
  });

  it('a fresh deploy with --json --diff -v and -e secrets', async () => {
    const file = inventory('pigsty.yml', base);
    const r = await runEntry('deploy.ts', ['-i', file, '--json', '--diff', '-v', ...Object.entries(EXTRA).flatMap(([k, v]) => ['-e', `${k}=${v}`])]);
    expect(recap(r).exit_code, r.stderr).toBe(0);
    // The run printed what it did, secrets masked: the check is not vacuous.
    expect(r.stdout).toContain('********');
    expect(leaked(r)).toEqual([]);
  });

  it('a --check --diff -v run in plain text after a password changed', async () => {
    const file = inventory('changed.yml', base.replace('password: DBUser.Meta', `password: ${CHANGED_USER_PASSWORD}`));
    const r = await runEntry('deploy.ts', ['-i', file, '--check', '--diff', '-v', '--plain', '-e', `pg_admin_password=${EXTRA.pg_admin_password}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/changed \(check\) +\S+ +\[pgsql : create or update users\].*\n.*ALTER ROLE \S*dbuser_meta\S* PASSWORD '\*{8}'/);
    expect(leaked(r)).toEqual([]);
  });

  it('a run whose inventory fails validation, with --json', async () => {
    const file = inventory('invalid.yml', base.replace('pg_monitor_password: DBUser.Monitor', `pg_monitor_password: ${INVALID}`));
    const r = await runEntry('deploy.ts', ['-i', file, '--json', '-e', `some_password=${EXTRA.some_password}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pg_monitor_password: invalid value (a number; a secret is not shown)');
    expect(leaked(r)).toEqual([]);
  });
});
