import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseInventory } from '../../engine/inventory.ts';
import { validateInventory } from '../../engine/validate.ts';
import { checks } from '../../roles/checks.ts';
import { PARAM_DEFAULTS, PigstyParams } from '../../roles/params.ts';
import { pgrdsTargets, remoteExporters } from '../../roles/pg_exporters/remote-exporters.ts';
import type { RoleVars } from '../../roles/vars.ts';

const v = {
  ...PARAM_DEFAULTS,
  inventory_hostname: '10.10.10.10',
  pg_exporters: {
    20002: { pg_cluster: 'pg-rds', pg_seq: 2, pg_host: '10.10.10.12', pg_port: 5433, pg_monitor_password: 'Own.Pass' },
    20001: { pg_cluster: 'pg-rds', pg_seq: 1, pg_host: '10.10.10.11' },
    20011: { pg_cluster: 'pg-src', pg_seq: 1, pg_host: 'db.example.invalid', pg_exporter_url: 'postgres://u:p@db.example.invalid/postgres' },
  },
} as unknown as RoleVars;

const envValue = (env: string, name: string): string =>
  (env.split('\n').find((l) => l.startsWith(`${name}=`)) as string).slice(name.length + 2, -1).replace(/\\(.)/g, '$1');

describe('pg_exporters entries', () => {
  it("connect to each remote host on its port, with the entry's own overrides before the parameters", () => {
    const all = remoteExporters(v, '');
    expect(all.map((x) => [x.port, x.instance, x.host])).toEqual([
      [20001, 'pg-rds-1', '10.10.10.11'],
      [20002, 'pg-rds-2', '10.10.10.12'],
      [20011, 'pg-src-1', 'db.example.invalid'],
    ]);
    expect(envValue(all[0]!.env, 'DATA_SOURCE_NAME')).toBe(
      'postgresql://dbuser_monitor:DBUser.Monitor@:5432/postgres?host=10.10.10.11&sslmode=disable&connect_timeout=1',
    );
    expect(envValue(all[1]!.env, 'DATA_SOURCE_NAME')).toBe(
      'postgresql://dbuser_monitor:Own.Pass@:5433/postgres?host=10.10.10.12&sslmode=disable&connect_timeout=1',
    );
    expect(envValue(all[2]!.env, 'DATA_SOURCE_NAME')).toBe('postgresql://u:p@db.example.invalid/postgres');
    expect(envValue(all[1]!.env, 'ARGS')).toMatch(/^--web\.listen-address=:20002 /);
  });

  it("never takes the infra host's own pg_exporter_url, which names its local PostgreSQL", () => {
    const local = { ...v, pg_exporter_url: 'postgresql://m:x@/postgres?host=/var/run/postgresql' } as RoleVars;
    expect(envValue(remoteExporters(local, 'pg-rds')[0]!.env, 'DATA_SOURCE_NAME')).toMatch(/\?host=10\.10\.10\.11&/);
  });

  it('keeps only the entries of -e clsname when it is given', () => {
    expect(remoteExporters(v, 'pg-src').map((x) => x.instance)).toEqual(['pg-src-1']);
  });

  it('registers a cluster as pgrds targets scraped at the infra host, labelled with the remote instance', () => {
    expect(YAML.parse(pgrdsTargets('10.10.10.10', remoteExporters(v, 'pg-rds')))).toEqual([
      { labels: { cls: 'pg-rds', ins: 'pg-rds-1', ip: '10.10.10.11' }, targets: ['10.10.10.10:20001'] },
      { labels: { cls: 'pg-rds', ins: 'pg-rds-2', ip: '10.10.10.12' }, targets: ['10.10.10.10:20002'] },
    ]);
  });

  it('refuses, before any host, a key that is no port and an entry with a field it does not know', () => {
    const errors = (entries: string) =>
      validateInventory(
        parseInventory(`all:\n  hosts: { a.invalid: {} }\n  vars: { admin_ip: 10.10.10.10, pg_exporters: ${entries} }\n`, 'inv.yml'),
        {
          schema: PigstyParams,
          checks,
        },
      ).errors.map((e) => e.describe());
    expect(errors("{ 20001: { pg_cluster: pg-rds, pg_seq: 1, pg_host: '10.10.10.11' } }")).toEqual([]);
    expect(errors("{ 80: { pg_cluster: pg-rds, pg_seq: 1, pg_host: '10.10.10.11' } }")).toHaveLength(1);
    expect(errors("{ 20001: { pg_cluster: pg-rds, pg_seq: 1, pg_host: '10.10.10.11', pg_hots: x } }")).toHaveLength(1);
    expect(errors("{ 20001: { pg_cluster: pg-rds, pg_seq: 1, pg_host: 'a b' } }")).toHaveLength(1);
  });
});
