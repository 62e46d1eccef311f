import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../engine/inventory.ts';
import { validateInventory } from '../../engine/validate.ts';
import { checks } from '../../roles/checks.ts';
import { PigstyParams } from '../../roles/params.ts';

function advise(vars: string, hostVars = '{ pg_seq: 1, pg_role: primary }', extraVars: Record<string, unknown> = {}) {
  const yaml = `all:\n  children:\n    pg-meta:\n      hosts: { 10.10.10.10: ${hostVars} }\n      vars: { pg_cluster: pg-meta }\n  vars:\n    admin_ip: 10.10.10.10\n${vars}\n`;
  return validateInventory(parseInventory(yaml, 'inline.yml'), { schema: PigstyParams, checks, extraVars });
}

const OWN_SECRETS =
  '    pg_admin_password: A1.x\n    pg_monitor_password: A2.x\n    pg_replication_password: A3.x\n    patroni_password: A4.x\n    etcd_root_password: A5.x\n    haproxy_admin_password: A6.x\n    pg_etcd_password: A7.x\n    pgsodium_key: ' +
  'ab'.repeat(32);

describe('secrets anyone can know', () => {
  it('are advisories, not errors, and name the place and parameter, never the value', () => {
    const r = advise(
      '    pg_admin_password: DBUser.DBA\n    pgbackrest_repo: { minio: { type: s3, s3_key_secret: S3User.Backup, cipher_pass: pgBackRest } }',
    );
    expect(r.errors).toEqual([]);
    const text = r.advisories.map((a) => a.describe());
    expect(text).toContain(
      "inline.yml:8:5: host 10.10.10.10: all.vars.pg_admin_password: a secret is left at Pigsty's published default (expected a secret of your own)",
    );
    expect(text.some((t) => t.includes('all.vars.pgbackrest_repo.minio.s3_key_secret: a secret is left'))).toBe(true);
    expect(text.some((t) => t.includes('all.vars.pgbackrest_repo.minio.cipher_pass: a secret is left'))).toBe(true);
    expect(text.join('\n')).not.toMatch(/DBUser\.DBA|S3User\.Backup|pgBackRest|DBUser\.Monitor|Etcd\.Root/);
  });

  it('cover role defaults the inventory relies on and secrets derived from names, once per parameter', () => {
    const names = (r: ReturnType<typeof advise>) =>
      r.advisories
        .map((a) => /^(\w+) is not set for/.exec(a.message)?.[1])
        .filter(Boolean)
        .sort();
    expect(names(advise(''))).toEqual([
      'etcd_root_password',
      'haproxy_admin_password',
      'patroni_password',
      'pg_admin_password',
      'pg_etcd_password',
      'pg_monitor_password',
      'pg_replication_password',
      'pgsodium_key',
    ]);
    const own = OWN_SECRETS;
    expect(advise(own).advisories).toEqual([]);
    expect(names(advise(`${own}\n    vip_enabled: true\n    vip_vrid: 128\n    vip_address: 10.10.10.2\n    vip_interface: eth0`))).toEqual([
      'vip_auth_pass',
    ]);
  });

  it('count -e values as the run sees them: a published one is reported at -e, an inventory one that -e replaces is not', () => {
    const text = (r: ReturnType<typeof advise>) => r.advisories.map((a) => a.describe());
    const published = advise(OWN_SECRETS.replace('pg_admin_password: A1.x', 'pg_admin_password: A0.x'), undefined, {
      pg_admin_password: 'DBUser.DBA',
      pgbackrest_repo: { local: { path: '/pg/backup' }, minio: { type: 's3', cipher_pass: 'pgBackRest' } },
    });
    expect(text(published)).toEqual([
      "-e pg_admin_password: a secret is set to Pigsty's published default (expected a secret of your own)",
      "-e pgbackrest_repo.minio.cipher_pass: a secret is set to Pigsty's published default (expected a secret of your own)",
    ]);
    const replaced = advise(OWN_SECRETS.replace('pg_admin_password: A1.x', 'pg_admin_password: DBUser.DBA'), undefined, {
      pg_admin_password: 'Own.Pw1',
    });
    expect(replaced.advisories).toEqual([]);
    expect(text(advise(OWN_SECRETS, undefined, { vip_enabled: true, vip_vrid: 128 }))).toEqual([
      "inline.yml:6:3: all.vars: vip_auth_pass is not set for 10.10.10.10: keepalived's password is node_cluster-vip_vrid, which anyone who reads the inventory can work out (expected vip_auth_pass set to a secret of your own)",
    ]);
  });

  it('cover published secrets inside a default, where the host reads them: the MinIO repository of pgbackrest_repo', () => {
    const text = (r: ReturnType<typeof advise>) => r.advisories.map((a) => a.describe());
    const expected = [
      "inline.yml:6:3: all.vars: pgbackrest_repo.minio.cipher_pass is not set for 10.10.10.10: the role's default is Pigsty's published one (expected pgbackrest_repo set, with a minio.cipher_pass of your own)",
      "inline.yml:6:3: all.vars: pgbackrest_repo.minio.s3_key_secret is not set for 10.10.10.10: the role's default is Pigsty's published one (expected pgbackrest_repo set, with a minio.s3_key_secret of your own)",
    ];
    expect(text(advise(`${OWN_SECRETS}\n    pgbackrest_method: minio`))).toEqual(expected);
    expect(text(advise(OWN_SECRETS, undefined, { pgbackrest_method: 'minio' }))).toEqual(expected);
    expect(advise(OWN_SECRETS).advisories).toEqual([]);
    expect(advise(`${OWN_SECRETS}\n    pgbackrest_method: minio\n    pgbackrest_enabled: false`).advisories).toEqual([]);
  });
});
