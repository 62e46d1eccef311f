import { describe, expect, it } from 'vitest';
import { listenAddress } from '../../roles/pgsql/listen-address.ts';
import {
  confProfile,
  patroniConf,
  patroniParameters,
  pgSizing,
  type ParamInput,
  type PgConfProfile,
  type SizingInput,
} from '../../roles/pgsql/patroni-conf.ts';
import { PG_RTO_PLAN, rtoSettings } from '../../roles/pgsql/rto.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';
import type { RoleVars } from '../../roles/vars.ts';

const GiB = 1024 ** 3;

const sizing = (over: Partial<SizingInput> = {}) =>
  pgSizing({
    profile: 'oltp',
    node_cpu: 8,
    node_mem_mb: 16384,
    disk_bytes: 200 * GiB,
    pg_max_conn: 'auto',
    pg_default_service_dest: 'pgbouncer',
    pg_shared_buffer_ratio: 0.25,
    pg_libs: 'pg_stat_statements, auto_explain',
    pg_io_method: 'worker',
    os_package: 'deb',
    os_version: 12,
    ...over,
  });

const params = (profile: PgConfProfile, over: Partial<ParamInput> = {}): Map<string, string> => {
  const input: ParamInput = {
    profile,
    pg_version: 15,
    pg_mode: 'pgsql',
    pg_cluster: 'pg-test',
    pg_libs: 'pg_stat_statements, auto_explain',
    pg_log_dir: '/pg/log/postgres',
    pg_storage_type: 'SSD',
    pgbackrest_enabled: true,
    pg_primary_db: 'postgres',
    pg_parameters: {},
    ...over,
  };
  return new Map(patroniParameters(sizing({ profile }), input).flatMap((s) => s.params));
};

describe('pg_conf profiles', () => {
  it('maps the template file names and refuses others', () => {
    expect(confProfile('oltp.yml')).toBe('oltp');
    expect(confProfile(PARAM_DEFAULTS.pg_conf)).toBe('oltp');
    expect(confProfile('crit.yml')).toBe('crit');
    expect(() => confProfile('mine.yml')).toThrow('pg_conf "mine.yml" is not one of');
  });
});

describe('sizing (spec 3.6)', () => {
  it('sizes memory from RAM: shared buffers by ratio, cache the rest, work_mem per connection within bounds', () => {
    const s = sizing();
    expect(s).toMatchObject({ max_connections: 500, shared_buffers: 4096, effective_cache_size: 12288, maintenance_work_mem: 1024, work_mem: 64 });
    expect(sizing({ node_mem_mb: 1000, pg_shared_buffer_ratio: 0.3 }).shared_buffers).toBe(300);
    expect(sizing({ node_mem_mb: 1001, pg_shared_buffer_ratio: 0.3 }).shared_buffers).toBe(301);
    expect(sizing({ node_mem_mb: 1024 * 1024 }).work_mem).toBe(524);
    expect(sizing({ node_mem_mb: 8 * 1024 * 1024 }).work_mem).toBe(1024);
    expect(sizing({ profile: 'olap', node_mem_mb: 8 * 1024 * 1024 }).work_mem).toBe(4194);
    expect(sizing({ profile: 'tiny', node_mem_mb: 1024 }).work_mem).toBe(16);
    expect(sizing({ profile: 'tiny', node_mem_mb: 1024 * 1024 }).work_mem).toBe(256);
    expect(sizing({ profile: 'olap' }).maintenance_work_mem).toBe(2048);
  });

  it('chooses max_connections: auto per profile and service destination, or the inventory value from 20 up', () => {
    expect(sizing().max_connections).toBe(500);
    expect(sizing({ pg_default_service_dest: 'postgres' }).max_connections).toBe(1000);
    expect(sizing({ profile: 'crit', pg_default_service_dest: 'postgres' }).max_connections).toBe(1000);
    expect(sizing({ profile: 'olap', pg_default_service_dest: 'postgres' }).max_connections).toBe(500);
    expect(sizing({ profile: 'tiny' }).max_connections).toBe(250);
    expect(sizing({ pg_max_conn: 800 }).max_connections).toBe(800);
    expect(sizing({ pg_max_conn: 10 }).max_connections).toBe(500);
  });

  it('scales locks and prepared transactions for citus and timescaledb', () => {
    expect(sizing()).toMatchObject({ max_locks_per_transaction: 500, max_prepared_transactions: 0 });
    expect(sizing({ pg_libs: 'citus, pg_stat_statements' })).toMatchObject({ max_locks_per_transaction: 1000, max_prepared_transactions: 500 });
    expect(sizing({ pg_libs: 'timescaledb' })).toMatchObject({ max_locks_per_transaction: 1000, max_prepared_transactions: 0 });
    expect(sizing({ profile: 'olap' }).max_locks_per_transaction).toBe(1000);
    expect(sizing({ profile: 'olap', pg_libs: 'timescaledb' }).max_locks_per_transaction).toBe(2000);
  });

  it('derives WAL and temp file limits from the disk in twentieths, clamped', () => {
    expect(sizing({ disk_bytes: 200 * GiB })).toMatchObject({
      disk_twentieth: 10,
      min_wal_size: 10,
      max_wal_size: 40,
      max_slot_wal_keep_size: 60,
      temp_file_limit: 10,
      disk_gb: 200,
    });
    expect(sizing({ disk_bytes: 201 * GiB }).disk_twentieth).toBe(11);
    expect(sizing({ disk_bytes: 1 * GiB })).toMatchObject({ disk_twentieth: 1, min_wal_size: 1, max_wal_size: 4, max_slot_wal_keep_size: 6 });
    expect(sizing({ disk_bytes: 100_000 * GiB })).toMatchObject({
      disk_twentieth: 100,
      min_wal_size: 100,
      max_wal_size: 400,
      max_slot_wal_keep_size: 600,
    });
    expect(sizing({ profile: 'olap', disk_bytes: 200 * GiB }).temp_file_limit).toBe(40);
    expect(sizing({ disk_bytes: 0 }).disk_gb).toBe(1);
  });

  it('sets worker counts per profile from the CPU count', () => {
    expect(sizing({ node_cpu: 2 })).toMatchObject({
      max_worker_processes: 16,
      max_parallel_workers: 2,
      max_parallel_workers_per_gather: 2,
      max_parallel_maintenance_workers: 2,
    });
    expect(sizing({ node_cpu: 64 })).toMatchObject({
      max_worker_processes: 72,
      max_parallel_workers: 32,
      max_parallel_workers_per_gather: 8,
      max_parallel_maintenance_workers: 22,
    });
    expect(sizing({ profile: 'olap', node_cpu: 64 })).toMatchObject({
      max_worker_processes: 76,
      max_parallel_workers: 52,
      max_parallel_workers_per_gather: 32,
    });
    expect(sizing({ profile: 'crit', node_cpu: 64 }).max_parallel_workers_per_gather).toBe(0);
    expect(sizing({ profile: 'tiny', node_cpu: 1 })).toMatchObject({
      max_worker_processes: 12,
      max_parallel_workers: 1,
      max_parallel_workers_per_gather: 0,
      max_parallel_maintenance_workers: 1,
      io_workers: 3,
    });
  });

  it('picks the io method: given, or io_uring on Debian and EL10 when auto', () => {
    expect(sizing().io_method).toBe('worker');
    expect(sizing({ pg_io_method: 'auto' }).io_method).toBe('io_uring');
    expect(sizing({ pg_io_method: 'auto', os_package: 'rpm', os_version: 9 }).io_method).toBe('worker');
    expect(sizing({ pg_io_method: 'auto', os_package: 'rpm', os_version: 10 }).io_method).toBe('io_uring');
  });
});

describe('parameters per profile', () => {
  it('writes the sizing and Pigsty base settings', () => {
    const p = params('oltp');
    expect(p.get('shared_buffers')).toBe('4096MB');
    expect(p.get('max_worker_processes')).toBe('24');
    expect(p.get('wal_level')).toBe('logical');
    expect(p.get('ssl')).toBe("'on'");
    expect(p.get('shared_preload_libraries')).toBe('"pg_stat_statements, auto_explain"');
    expect(p.get('archive_command')).toBe('"pgbackrest --stanza=pg-test archive-push %p"');
    expect(p.get('idle_in_transaction_session_timeout')).toBe('10min');
    expect(p.get('parallel_setup_cost')).toBe('2000');
    expect(p.get('cron.database_name')).toBe('"postgres"');
  });

  it('leaves out what the version does not know and archiving without pgBackRest', () => {
    expect(params('oltp').has('io_method')).toBe(false);
    expect(params('oltp').has('sync_replication_slots')).toBe(false);
    expect(params('oltp', { pg_version: 18 }).get('io_method')).toBe('worker');
    expect(params('oltp', { pg_version: 17 }).get('sync_replication_slots')).toBe("'on'");
    expect(params('oltp', { pgbackrest_enabled: false }).has('archive_mode')).toBe(false);
  });

  it('tunes olap for throughput, crit for safety, tiny for footprint', () => {
    const olap = params('olap');
    expect([olap.get('enable_partitionwise_join'), olap.get('idle_in_transaction_session_timeout'), olap.get('default_statistics_target')]).toEqual([
      "'on'",
      '0',
      '1000',
    ]);
    expect(olap.has('parallel_setup_cost')).toBe(false);
    const crit = params('crit');
    expect([
      crit.get('wal_writer_flush_after'),
      crit.get('idle_in_transaction_session_timeout'),
      crit.get('log_connections'),
      crit.get('log_disconnections'),
    ]).toEqual(['0', '1min', "'on'", "'on'"]);
    expect(crit.get('vacuum_defer_cleanup_age')).toBe('500000');
    expect(params('crit', { pg_version: 16 }).has('vacuum_defer_cleanup_age')).toBe(false);
    const tiny = params('tiny');
    expect([tiny.get('autovacuum_max_workers'), tiny.get('pg_stat_statements.max'), tiny.has('autovacuum_vacuum_scale_factor')]).toEqual([
      '2',
      '2500',
      false,
    ]);
  });

  it('takes cron.database_name from pg_parameters when given', () => {
    expect(params('oltp', { pg_parameters: { 'cron.database_name': 'meta' } }).get('cron.database_name')).toBe('"meta"');
  });
});

describe('patroni config values', () => {
  const vars = {
    ...PARAM_DEFAULTS,
    inventory_hostname: '10.10.10.12',
    groups: { etcd: ['10.10.10.9', '10.10.10.10'], infra: ['10.10.10.10'] },
    hostvars: {},
    admin_ip: '10.10.10.10',
    pg_cluster: 'pg-test',
    pg_role: 'replica',
    pg_cluster_members: ['10.10.10.11', '10.10.10.12'],
    node_cpu: 4,
    node_mem_mb: 8192,
    node_mem_gb: 8,
    os_package: 'deb',
    os_version: 12,
    pg_version: 15,
  } as unknown as RoleVars;

  it('lists etcd hosts sorted as strings, the allow list, and the cluster credentials', () => {
    const c = patroniConf(vars, 100 * GiB);
    expect(c.etcd_hosts).toBe('10.10.10.10:2379,10.10.10.9:2379');
    expect(c.allowlist).toEqual(['10.10.10.10', '10.10.10.11', '10.10.10.12']);
    expect([c.scope, c.etcd_username, c.etcd_password]).toEqual(['pg-test', 'pg-test', 'pg-test']);
    expect(patroniConf({ ...vars, pg_etcd_password: 'Secret' }, GiB).etcd_password).toBe('Secret');
    expect(patroniConf({ ...vars, pg_mode: 'citus', pg_shard: 'pg-citus' }, GiB).scope).toBe('pg-citus');
    expect(c.spec).toBe('4C.8G.100G');
  });

  it('turns on sync mode for RPO 0 and crit, with watchdog and forced checksums in crit', () => {
    expect(patroniConf(vars, GiB)).toMatchObject({ synchronous_mode: false, synchronous_mode_strict: false, watchdog_mode: 'off' });
    expect(patroniConf({ ...vars, pg_rpo: 0 }, GiB).synchronous_mode).toBe(true);
    expect(patroniConf({ ...vars, pg_conf: 'crit.yml', pg_checksum: false }, GiB)).toMatchObject({
      synchronous_mode: true,
      synchronous_mode_strict: true,
      watchdog_mode: 'automatic',
      initdb: ['data-checksums', 'encoding: UTF8', 'locale: C', 'lc-collate: C', 'lc-ctype: C'],
    });
    expect(patroniConf({ ...vars, patroni_watchdog_mode: false }, GiB).watchdog_mode).toBe('off');
  });

  it('uses the builtin locale provider from PostgreSQL 17 and drops checksums when asked', () => {
    expect(patroniConf({ ...vars, pg_version: 17, pg_checksum: false }, GiB).initdb).toEqual([
      'no-data-checksums',
      'encoding: UTF8',
      'locale-provider: builtin',
      'builtin-locale: C',
      'lc-collate: C',
      'lc-ctype: C',
    ]);
    expect(patroniConf({ ...vars, pg_checksum: false }, GiB).initdb[0]).toBe('encoding: UTF8');
  });

  it('expands listen placeholders, the VIP only when one is enabled', () => {
    const base = { inventory_hostname: '10.0.0.5', pg_listen: PARAM_DEFAULTS.pg_listen, pg_vip_enabled: false, pg_vip_address: '10.0.0.100/24' };
    expect(listenAddress({ ...base, pg_listen: '${ip},${lo}' })).toBe('10.0.0.5,127.0.0.1');
    expect(listenAddress({ ...base, pg_listen: '${ip},${vip}' })).toBe('10.0.0.5,${vip}');
    expect(listenAddress({ ...base, pg_vip_enabled: true, pg_listen: '${ip},${vip}' })).toBe('10.0.0.5,10.0.0.100');
    expect(listenAddress(base)).toBe('0.0.0.0');
  });
});

describe('RTO presets (spec 3.4)', () => {
  it('names the timings of each plan', () => {
    expect(rtoSettings('fast', PG_RTO_PLAN)).toEqual({
      ttl: 20,
      loop_wait: 5,
      retry_timeout: 5,
      primary_start_timeout: 15,
      safety_margin: 5,
      inter: '1s',
      fastinter: '0.5s',
      downinter: '1s',
      rise: 3,
      fall: 3,
    });
    expect(rtoSettings('norm', PG_RTO_PLAN)).toMatchObject({
      ttl: 30,
      loop_wait: 5,
      retry_timeout: 10,
      primary_start_timeout: 25,
      safety_margin: 5,
      inter: '2s',
    });
    expect(rtoSettings('safe', PG_RTO_PLAN)).toMatchObject({
      ttl: 60,
      loop_wait: 10,
      retry_timeout: 20,
      primary_start_timeout: 45,
      safety_margin: 10,
      fastinter: '1.5s',
    });
    expect(rtoSettings('wide', PG_RTO_PLAN)).toMatchObject({
      ttl: 120,
      loop_wait: 20,
      retry_timeout: 30,
      primary_start_timeout: 95,
      safety_margin: 15,
      downinter: '4s',
    });
  });

  it('keeps Patroni within its constraint ttl >= loop_wait + 2 * retry_timeout', () => {
    for (const name of Object.keys(PG_RTO_PLAN)) {
      const r = rtoSettings(name, PG_RTO_PLAN);
      expect(r.ttl, name).toBeGreaterThanOrEqual(r.loop_wait + 2 * r.retry_timeout);
    }
  });

  it('falls back to norm for an unknown plan, and reads a custom plan table', () => {
    expect(rtoSettings('instant', PG_RTO_PLAN)).toEqual(rtoSettings('norm', PG_RTO_PLAN));
    expect(rtoSettings(PARAM_DEFAULTS.pg_rto, PARAM_DEFAULTS.pg_rto_plan)).toEqual(rtoSettings('norm', PG_RTO_PLAN));
    const custom = { ...PG_RTO_PLAN, lab: [10, 2, 3, 8, 2, '1s', '1s', '1s', 2, 2] as (typeof PG_RTO_PLAN)['fast'] };
    expect(rtoSettings('lab', custom)).toMatchObject({ ttl: 10, loop_wait: 2, rise: 2 });
  });
});
