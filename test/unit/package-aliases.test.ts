import { describe, expect, it } from 'vitest';
import { PACKAGE_ALIASES, resolvePackages, unavailableReason } from '../../modules/package-aliases.ts';

describe('Pigsty package aliases', () => {
  it('maps PostgreSQL aliases to each family with the major version substituted', () => {
    expect(resolvePackages(['pgsql-main'], { family: 'deb', pgVersion: 17 }).packages).toEqual([
      'postgresql-17',
      'postgresql-client-17',
      'postgresql-plpython3-17',
      'postgresql-plperl-17',
      'postgresql-pltcl-17',
      'postgresql-17-repack',
      'postgresql-17-wal2json',
    ]);
    expect(resolvePackages('pgsql-client', { family: 'rpm', pgVersion: '16' }).packages).toEqual(['postgresql16']);
    expect(resolvePackages('postgresql-${pg_version}-cron', { family: 'deb', pgVersion: 18 }).packages).toEqual(['postgresql-18-cron']);
  });

  it('maps node and HA packages to the names Debian 12 and EL ship', () => {
    const deb = resolvePackages(['patroni', 'patroni-etcd', 'pgbouncer', 'pgbackrest', 'haproxy', 'etcd', 'vip-manager', 'node-exporter', 'chrony'], {
      family: 'deb',
    });
    expect(deb.packages).toEqual([
      'patroni',
      'python3-etcd',
      'pgbouncer',
      'pgbackrest',
      'haproxy',
      'etcd-server',
      'etcd-client',
      'vip-manager',
      'prometheus-node-exporter',
      'chrony',
    ]);
    expect(resolvePackages('etcd node_exporter cronie', { family: 'rpm' }).packages).toEqual([
      'etcd',
      'golang-github-prometheus-node-exporter',
      'cronie',
    ]);
    expect(resolvePackages('cronie,openssh-clients', { family: 'deb' }).packages).toEqual(['cron', 'openssh-client']);
  });

  it('reports what a family does not ship instead of inventing a name', () => {
    const r = resolvePackages(['pgsql-common'], { family: 'deb' });
    expect(r.packages).toEqual(['patroni', 'python3-etcd', 'pgbouncer', 'pgbackrest', 'vip-manager']);
    expect(r.unavailable).toEqual(['pg_exporter', 'pgbackrest_exporter']);
    expect(unavailableReason('pg_exporter', 'deb')).toContain('Pigsty');
    expect(unavailableReason('grubby', 'rpm')).toBeUndefined();
    expect(resolvePackages(['grubby', 'yum'], { family: 'deb' }).unavailable).toEqual(['grubby', 'yum']);
  });

  it('splits Pigsty list strings, deduplicates in order and passes unknown names through', () => {
    const r = resolvePackages(['bash, curl  jq', 'curl', 'my-own-package'], { family: 'deb' });
    expect(r).toEqual({ packages: ['bash', 'curl', 'jq', 'my-own-package'], unavailable: [] });
    expect(resolvePackages(['toString', 'constructor'], { family: 'deb' }).packages).toEqual(['toString', 'constructor']);
  });

  it('fails naming the alias when the PostgreSQL version is needed but not given', () => {
    expect(() => resolvePackages(['pgsql-main'], { family: 'rpm' })).toThrow('pgsql-main -> postgresql$v needs the PostgreSQL major version');
  });

  it('has no group cycles and every node group resolves on both families', () => {
    for (const name of Object.keys(PACKAGE_ALIASES)) {
      for (const family of ['deb', 'rpm'] as const) expect(() => resolvePackages(name, { family, pgVersion: 17 })).not.toThrow();
    }
    const rpm = resolvePackages(['node-package1', 'node-package2', 'node-package3'], { family: 'rpm' });
    expect(rpm.packages).toContain('procps-ng');
    expect(rpm.unavailable).toEqual(['vector', 'pig', 'uv']);
  });
});
