import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../engine/inventory.ts';
import { validateInventory } from '../../engine/validate.ts';
import { checks } from '../../roles/checks.ts';
import { PigstyParams } from '../../roles/params.ts';

function advise(vars: string, hostVars = '{ pg_seq: 1, pg_role: primary }') {
  const yaml = `all:\n  children:\n    pg-meta:\n      hosts: { 10.10.10.10: ${hostVars} }\n      vars: { pg_cluster: pg-meta }\n  vars:\n    admin_ip: 10.10.10.10\n${vars}\n`;
  return validateInventory(parseInventory(yaml, 'inline.yml'), { schema: PigstyParams, checks });
}

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
    const own =
      '    pg_admin_password: A1.x\n    pg_monitor_password: A2.x\n    pg_replication_password: A3.x\n    patroni_password: A4.x\n    etcd_root_password: A5.x\n    haproxy_admin_password: A6.x\n    pg_etcd_password: A7.x\n    pgsodium_key: ' +
      'ab'.repeat(32);
    expect(advise(own).advisories).toEqual([]);
    expect(names(advise(`${own}\n    vip_enabled: true\n    vip_vrid: 128\n    vip_address: 10.10.10.2\n    vip_interface: eth0`))).toEqual([
      'vip_auth_pass',
    ]);
  });
});
