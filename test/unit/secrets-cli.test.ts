import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'pigsty-secrets-'));

/** An inventory of one PostgreSQL host with extra all.vars lines; nothing here may open a connection. */
function inventory(name: string, varsLines: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'all:',
      '  children:',
      '    pg-meta:',
      '      hosts: { 10.10.10.10: { pg_seq: 1, pg_role: primary } }',
      '      vars: { pg_cluster: pg-meta }',
      '  vars:',
      '    admin_ip: 10.10.10.10',
      varsLines,
      '',
    ].join('\n'),
  );
  return file;
}

// Each case starts deploy.ts (the first one may rebuild its bundle) on a machine the sandbox shares.
const SPAWN_TIMEOUT = 60_000;

function deploy(...args: string[]) {
  const r = spawnSync(join(ROOT, 'deploy.ts'), args, { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, output: `${r.stdout}\n${r.stderr}`, stderr: r.stderr };
}

describe('errors printed before a run never show a secret', () => {
  it(
    'a numeric password that fails validation is not echoed, in text or with --json',
    () => {
      const file = inventory('numeric.yml', '    pg_admin_password: 31415926');
      for (const json of [[], ['--json']]) {
        const r = deploy('-i', file, ...json);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/all\.vars\.pg_admin_password: invalid value \(a number; a secret is not shown\)/);
        expect(r.output).not.toContain('31415926');
      }
    },
    SPAWN_TIMEOUT,
  );

  it(
    'a malformed -e argument is not echoed, nor is a broken inline mapping',
    () => {
      const file = inventory('ok.yml', '    pg_admin_password: Inv3ntory.Secret');
      const r = deploy('-i', file, '--json', '-e', 'pg_admin_password=Cl1.Secret other_Secret.Half');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('extra vars #1: word 2 is not key=value');
      expect(r.output).not.toMatch(/Cl1\.Secret|Secret\.Half|Inv3ntory/);
      const broken = deploy('-i', file, '-e', '{"patroni_password": "Br0ken.Json"');
      expect(broken.code).toBe(1);
      expect(broken.output).not.toContain('Br0ken.Json');
    },
    SPAWN_TIMEOUT,
  );

  it(
    'a YAML syntax error in the inventory does not show the secrets around it',
    () => {
      const file = inventory('broken.yml', '    pg_admin_password: Y4ml.Secret\n    pg_monitor_password: "Unterminated.Secret\n  oops: [');
      const r = deploy('-i', file);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/broken\.yml:\d+:\d+: .*expected valid YAML/);
      expect(r.output).not.toMatch(/Y4ml\.Secret|Unterminated\.Secret/);
    },
    SPAWN_TIMEOUT,
  );

  it(
    '--strict refuses published defaults and derived secrets before any host, naming parameters and never values',
    () => {
      const file = inventory('published.yml', '    pg_admin_password: DBUser.DBA\n    haproxy_admin_password: My0wn.Secret');
      const r = deploy('-i', file, '--strict');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /error: .*published\.yml:8:5: host 10\.10\.10\.10: all\.vars\.pg_admin_password: a secret is left at Pigsty's published default/,
      );
      expect(r.stderr).toMatch(/error: .*all\.vars: pg_monitor_password is not set for 10\.10\.10\.10: the role's default is Pigsty's published one/);
      expect(r.stderr).toMatch(
        /error: .*all\.vars: pgsodium_key is not set for 10\.10\.10\.10: the pgsodium key is the SHA-256 of the cluster's name/,
      );
      expect(r.stderr).not.toContain('haproxy_admin_password');
      expect(r.output).not.toMatch(/DBUser\.DBA|DBUser\.Monitor|My0wn\.Secret/);
      const fromE = deploy('-i', file, '--strict', '-e', 'pg_admin_password=My0wn.Admin', '-e', 'haproxy_admin_password=pigsty');
      expect(fromE.code).toBe(1);
      expect(fromE.stderr).toMatch(/error: -e haproxy_admin_password: a secret is set to Pigsty's published default/);
      expect(fromE.stderr).not.toContain('pg_admin_password');
      expect(fromE.output).not.toMatch(/DBUser\.DBA|My0wn\.Admin/);
    },
    SPAWN_TIMEOUT,
  );
});
