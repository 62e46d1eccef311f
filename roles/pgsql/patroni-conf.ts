import { yamlScalar } from '../../modules/template-helpers.ts';
import type { ParamVars } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { listenAddress } from './listen-address.ts';
import { pgbackrestCommands } from './pgbackrest.ts';
import { required } from './required.ts';
import { rtoSettings, type RtoSettings } from './rto.ts';

/** The link Patroni and patronictl read an instance's config through. */
export const PATRONI_CONF_LINK = '/etc/patroni/patroni.yml';

/** Where the config of an instance is rendered (PATRONI_CONF_LINK points to it). */
export const patroniConfPath = (instance: string): string => `/pg/conf/${instance}.yml`;

/** The four Patroni config profiles pg_conf chooses between. */
export type PgConfProfile = 'oltp' | 'olap' | 'tiny' | 'crit';

const GiB = 1024 ** 3;

/** pg_conf's file name to its profile; an unknown name is an error, as a missing template is in Pigsty. */
export function confProfile(pgConf: string): PgConfProfile {
  const name = pgConf.replace(/\.ya?ml$/, '');
  if (name === 'oltp' || name === 'olap' || name === 'tiny' || name === 'crit') return name;
  throw new Error(`pg_conf "${pgConf}" is not one of oltp.yml, olap.yml, tiny.yml, crit.yml`);
}

/** What the sizing reads: the node's resources and the parameters that bound them. */
export interface SizingInput {
  profile: PgConfProfile;
  node_cpu: number;
  node_mem_mb: number;
  /** Size of the filesystem holding pg_fs_main, in bytes. */
  disk_bytes: number;
  pg_max_conn: 'auto' | number;
  pg_default_service_dest: 'pgbouncer' | 'postgres';
  pg_shared_buffer_ratio: number;
  pg_libs: string;
  pg_io_method: string;
  os_package: string;
  os_version: number;
}

/** Resource settings of one instance (memory in MB, WAL and temp limits in GB). */
export interface PgSizing {
  max_connections: number;
  max_prepared_transactions: number;
  max_locks_per_transaction: number;
  shared_buffers: number;
  maintenance_work_mem: number;
  effective_cache_size: number;
  work_mem: number;
  /** Disk size in GiB (at least 1), for the summary and the spec tag. */
  disk_gb: number;
  /** ceil(disk / 20 GiB) clamped to 1..100: the unit of the WAL and temp file limits. */
  disk_twentieth: number;
  max_worker_processes: number;
  max_parallel_workers: number;
  max_parallel_workers_per_gather: number;
  max_parallel_maintenance_workers: number;
  io_method: string;
  io_workers: number;
  temp_file_limit: number;
  min_wal_size: number;
  max_wal_size: number;
  max_slot_wal_keep_size: number;
}

const clamp = (value: number, low: number, high: number): number => Math.min(Math.max(value, low), high);

/** Pigsty's sizing rules per profile (its oltp/olap/tiny/crit templates): memory from RAM, WAL and temp limits from disk. */
export function pgSizing(input: SizingInput): PgSizing {
  const { profile, node_cpu: cpu, node_mem_mb: mem } = input;
  const auto = profile === 'olap' ? 500 : profile === 'tiny' ? 250 : input.pg_default_service_dest === 'pgbouncer' ? 500 : 1000;
  const maxConn = input.pg_max_conn !== 'auto' && input.pg_max_conn >= 20 ? input.pg_max_conn : auto;
  const heavyLocks = input.pg_libs.includes('citus') || input.pg_libs.includes('timescaledb');
  const sharedBuffers = Math.ceil(mem * input.pg_shared_buffer_ratio);
  const workMemRange: Record<PgConfProfile, [number, number]> = { oltp: [64, 1024], crit: [64, 1024], olap: [64, 8192], tiny: [16, 256] };
  const [workLow, workHigh] = workMemRange[profile];
  const twentieth = clamp(Math.ceil(input.disk_bytes / (20 * GiB)), 1, 100);
  const minWal = Math.min(twentieth, 200);
  const maxWal = Math.min(twentieth * 4, 2000);

  const perProfile = {
    oltp: {
      workers: Math.max(cpu + 8, 16),
      parallel: Math.max(Math.ceil(cpu * 0.5), 2),
      gather: clamp(Math.floor(cpu * 0.2), 2, 8),
      maintenance: Math.max(Math.ceil(cpu * 0.33), 2),
      io: clamp(Math.ceil(cpu * 0.25), 4, 16),
    },
    olap: {
      workers: Math.max(cpu + 12, 20),
      parallel: Math.max(Math.ceil(cpu * 0.8), 2),
      gather: Math.max(Math.floor(cpu * 0.5), 2),
      maintenance: Math.max(Math.ceil(cpu * 0.33), 2),
      io: clamp(Math.ceil(cpu * 0.5), 4, 32),
    },
    crit: {
      workers: Math.max(cpu + 8, 16),
      parallel: Math.max(Math.ceil(cpu * 0.5), 2),
      gather: 0,
      maintenance: Math.max(Math.ceil(cpu * 0.33), 2),
      io: clamp(Math.ceil(cpu * 0.25), 4, 8),
    },
    tiny: {
      workers: Math.max(cpu + 4, 12),
      parallel: Math.max(Math.floor(cpu * 0.5), 1),
      gather: 0,
      maintenance: Math.max(Math.floor(cpu * 0.33), 1),
      io: 3,
    },
  }[profile];

  const ioMethod = input.pg_io_method !== 'auto' ? input.pg_io_method : input.os_package === 'deb' || input.os_version >= 10 ? 'io_uring' : 'worker';
  return {
    max_connections: maxConn,
    max_prepared_transactions: input.pg_libs.includes('citus') ? maxConn : 0,
    max_locks_per_transaction: profile === 'olap' ? (heavyLocks ? 4 : 2) * maxConn : (heavyLocks ? 2 : 1) * maxConn,
    shared_buffers: sharedBuffers,
    maintenance_work_mem: Math.ceil(sharedBuffers * (profile === 'olap' ? 0.5 : 0.25)),
    effective_cache_size: mem - sharedBuffers,
    work_mem: clamp(Math.floor(sharedBuffers / maxConn), workLow, workHigh),
    disk_gb: Math.max(Math.ceil(input.disk_bytes / GiB), 1),
    disk_twentieth: twentieth,
    max_worker_processes: perProfile.workers,
    max_parallel_workers: perProfile.parallel,
    max_parallel_workers_per_gather: perProfile.gather,
    max_parallel_maintenance_workers: perProfile.maintenance,
    io_method: ioMethod,
    io_workers: perProfile.io,
    temp_file_limit: profile === 'olap' ? maxWal : minWal,
    min_wal_size: minWal,
    max_wal_size: maxWal,
    max_slot_wal_keep_size: Math.min(twentieth * 6, 3000),
  };
}

/** A titled group of postgresql parameters; values are YAML scalars as written into the file. */
export interface ParamSection {
  title: string;
  params: [string, string][];
}

/** What the parameter list reads besides the sizing. */
export interface ParamInput {
  profile: PgConfProfile;
  pg_version: number;
  pg_mode: string;
  pg_cluster: string;
  pg_libs: string;
  pg_log_dir: string;
  pg_storage_type: string;
  pgbackrest_enabled: boolean;
  pg_primary_db: string;
  pg_parameters: Record<string, unknown>;
}

/** A YAML double-quoted scalar (JSON's string syntax is valid YAML). */
const quoted = (s: string): string => JSON.stringify(s);

/**
 * The bootstrap postgresql parameters of a profile, in Pigsty's order and grouping: oltp is the base; olap trades
 * latency for throughput, crit for safety and audit, tiny for a small footprint. Version-specific settings
 * appear only for the versions that know them.
 */
export function patroniParameters(s: PgSizing, p: ParamInput): ParamSection[] {
  const { profile, pg_version: ver } = p;
  const when = (cond: boolean, ...params: [string, string][]): [string, string][] => (cond ? params : []);
  const olap = profile === 'olap';
  const crit = profile === 'crit';
  const tiny = profile === 'tiny';
  const libs = p.pg_libs;
  const archive = when(
    p.pgbackrest_enabled,
    ['archive_mode', "'on'"],
    ['archive_timeout', '300'],
    ['archive_command', quoted(pgbackrestCommands(p.pg_cluster).archive_command)],
  );
  const cronDb = p.pg_parameters['cron.database_name'];

  return [
    {
      title: 'important parameters',
      params: [
        ['max_connections', String(s.max_connections)],
        ['superuser_reserved_connections', '10'],
        ['max_locks_per_transaction', String(s.max_locks_per_transaction)],
        ['max_prepared_transactions', String(s.max_prepared_transactions)],
        ['track_commit_timestamp', "'on'"],
        ['wal_level', 'logical'],
        ['wal_log_hints', "'on'"],
        ['max_worker_processes', String(s.max_worker_processes + 8)],
        ['max_wal_senders', '50'],
        ['max_replication_slots', '50'],
      ],
    },
    {
      title: 'authentication',
      params: [
        // Pigsty v4.0 removed pg_pwd_enc: passwords are always stored as SCRAM.
        ['password_encryption', yamlScalar('scram-sha-256')],
        ['ssl', "'on'"],
        ['ssl_cert_file', "'/pg/cert/server.crt'"],
        ['ssl_key_file', "'/pg/cert/server.key'"],
        ['ssl_ca_file', "'/pg/cert/ca.crt'"],
      ],
    },
    {
      title: 'resource usage',
      params: [
        ['shared_buffers', `${s.shared_buffers}MB`],
        ['maintenance_work_mem', `${s.maintenance_work_mem}MB`],
        ['work_mem', `${s.work_mem}MB`],
        ['max_parallel_workers', String(s.max_parallel_workers)],
        ['max_parallel_maintenance_workers', String(s.max_parallel_maintenance_workers)],
        ['max_parallel_workers_per_gather', String(s.max_parallel_workers_per_gather)],
        ...when(
          profile === 'oltp' || crit,
          ['parallel_setup_cost', '2000'],
          ['parallel_tuple_cost', '0.2'],
          ['min_parallel_table_scan_size', '16MB'],
          ['min_parallel_index_scan_size', '1024'],
        ),
        ...when(ver >= 13, ['hash_mem_multiplier', '8.0']),
        ['huge_pages', 'try'],
        ...when(ver >= 18, ['io_method', s.io_method], ['io_workers', String(s.io_workers)]),
        ['temp_file_limit', `${s.temp_file_limit}GB`],
        ['vacuum_cost_delay', olap ? '10ms' : '20ms'],
        ['vacuum_cost_limit', olap ? '10000' : '2000'],
        ['bgwriter_delay', '10ms'],
        ['bgwriter_lru_maxpages', '800'],
        ['bgwriter_lru_multiplier', '5.0'],
      ],
    },
    {
      title: 'write ahead log',
      params: [
        ...(olap ? archive : []),
        ['min_wal_size', `${s.min_wal_size}GB`],
        ['max_wal_size', `${s.max_wal_size}GB`],
        ['max_slot_wal_keep_size', `${s.max_slot_wal_keep_size}GB`],
        ...when(ver >= 18, ['idle_replication_slot_timeout', crit ? '3d' : '7d']),
        ['wal_buffers', '16MB'],
        ['wal_writer_delay', crit ? '10ms' : '20ms'],
        ['wal_writer_flush_after', crit ? '0' : '1MB'],
        ['commit_delay', '20'],
        ['commit_siblings', '10'],
        ['checkpoint_timeout', '15min'],
        ['checkpoint_completion_target', '0.80'],
        ...(olap ? [] : archive),
      ],
    },
    {
      title: 'replication',
      params: [
        ...when(ver >= 17, ['sync_replication_slots', "'on'"]),
        ['max_standby_archive_delay', '10min'],
        ['max_standby_streaming_delay', '3min'],
        ['wal_receiver_status_interval', '1s'],
        ['hot_standby_feedback', "'on'"],
        ['wal_receiver_timeout', '60s'],
        ...when(crit && ver <= 15, ['vacuum_defer_cleanup_age', '500000']),
        ['max_logical_replication_workers', '8'],
        ['max_sync_workers_per_subscription', '6'],
      ],
    },
    {
      title: 'query tuning',
      params: [
        ...when(olap, ['enable_partitionwise_join', "'on'"], ['enable_partitionwise_aggregate', "'on'"]),
        ...when(p.pg_storage_type === 'SSD', ['random_page_cost', '1.1'], ['effective_io_concurrency', '200']),
        ...when(p.pg_storage_type === 'SSD' && ver >= 17, ['maintenance_io_concurrency', '100']),
        ['effective_cache_size', `${s.effective_cache_size}MB`],
        ['default_statistics_target', olap ? '1000' : tiny ? '200' : '400'],
      ],
    },
    {
      title: 'logging',
      params: [
        ...when(p.pg_mode !== 'oracle' && p.pg_mode !== 'polar', ['log_destination', 'csvlog']),
        ['logging_collector', "'on'"],
        ['log_directory', quoted(p.pg_log_dir)],
        ['log_timezone', "'UTC'"],
        ['log_filename', "'postgresql-%a.log'"],
        ['log_file_mode', "'0640'"],
        ['log_rotation_age', "'1d'"],
        ['log_rotation_size', "'0'"],
        ['log_truncate_on_rotation', "'on'"],
        ['log_checkpoints', "'on'"],
        ['log_lock_waits', "'on'"],
        ...when(ver >= 18 && profile === 'oltp', ['log_lock_failures', "'on'"]),
        ['log_temp_files', '1024'],
        ['log_replication_commands', "'on'"],
        ['log_statement', 'ddl'],
        ['log_min_duration_statement', olap ? '1000' : '100'],
        ...when(ver >= 18 && !tiny, ['log_connections', crit ? "'receipt,authentication,authorization'" : "'authorization'"]),
        ...when(ver < 18 && crit, ['log_connections', "'on'"]),
        ...when(crit, ['log_disconnections', "'on'"]),
        ...when(ver >= 18 && p.pg_mode !== 'ivory', ['file_copy_method', 'clone']),
      ],
    },
    {
      title: 'statistics',
      params: [
        ['track_io_timing', "'on'"],
        ['track_functions', 'all'],
        ...when(ver >= 18 && (olap || crit), ['track_cost_delay_timing', "'on'"]),
        ['track_activity_query_size', crit ? '32768' : '8192'],
      ],
    },
    {
      title: 'autovacuum',
      params: [
        ['log_autovacuum_min_duration', '1s'],
        ['autovacuum_max_workers', tiny ? '2' : '3'],
        ['autovacuum_naptime', '1min'],
        ...when(!tiny, ['autovacuum_vacuum_scale_factor', '0.08'], ['autovacuum_analyze_scale_factor', '0.04']),
        ['autovacuum_vacuum_cost_delay', '-1'],
        ['autovacuum_vacuum_cost_limit', '-1'],
        ['autovacuum_freeze_max_age', '1000000000'],
      ],
    },
    {
      title: 'client',
      params: [
        ['deadlock_timeout', '50ms'],
        ['idle_in_transaction_session_timeout', olap ? '0' : crit ? '1min' : '10min'],
      ],
    },
    {
      title: 'extensions',
      params: [
        ['shared_preload_libraries', quoted(libs)],
        ['auto_explain.log_min_duration', '1s'],
        ['auto_explain.log_analyze', "'on'"],
        ['auto_explain.log_verbose', "'on'"],
        ['auto_explain.log_timing', "'on'"],
        ['auto_explain.log_nested_statements', 'true'],
        ['pg_stat_statements.max', tiny ? '2500' : '10000'],
        ['pg_stat_statements.track', 'all'],
        ['pg_stat_statements.track_utility', "'off'"],
        ['pg_stat_statements.track_planning', "'off'"],
        ['pg_wait_sampling.profile_pid', "'false'"],
        ['pg_wait_sampling.profile_queries', "'all'"],
        ['pg_wait_sampling.history_size', '100000'],
        ...when(
          libs.includes('timescaledb'),
          ['timescaledb.telemetry_level', "'off'"],
          ['timescaledb.max_background_workers', String(s.max_worker_processes)],
        ),
        ...when(libs.includes('pgsodium'), ['pgsodium.getkey_script', '/pg/bin/pgsodium_getkey'], ['pgsodium.enable_event_trigger', "'off'"]),
        ...when(!crit && libs.includes('pg_duckdb'), ['duckdb.allow_community_extensions', 'true']),
        ...when(p.pg_mode === 'polar', ['polar_resource_manager.enable_resource_manager', "'off'"]),
        ['cron.database_name', quoted(cronDb === undefined ? p.pg_primary_db : String(cronDb))],
      ],
    },
  ];
}

/** Everything the Patroni template needs beyond the host's variables, computed once per render. */
export interface PatroniConf {
  profile: PgConfProfile;
  sizing: PgSizing;
  rto: RtoSettings;
  sections: ParamSection[];
  etcd_hosts: string;
  etcd_username: string;
  etcd_password: string;
  scope: string;
  listen: string;
  allowlist: string[];
  watchdog_mode: string;
  synchronous_mode: boolean;
  synchronous_mode_strict: boolean;
  /** initdb options, as Patroni's list form: a flag or a one-key map. */
  initdb: string[];
  spec: string;
  standby: boolean;
  create_replica_pgbackrest: boolean;
}

type ConfVars = Pick<
  RoleVars,
  'inventory_hostname' | 'groups' | 'admin_ip' | 'pg_cluster_members' | 'node_cpu' | 'node_mem_mb' | 'node_mem_gb' | 'os_package' | 'os_version'
> &
  ParamVars;

/** The Patroni config values of one instance from its variables and the size of its data filesystem. */
export function patroniConf(v: ConfVars, diskBytes: number): PatroniConf {
  const profile = confProfile(v.pg_conf);
  const crit = profile === 'crit';
  const cluster = required(v, 'pg_cluster');
  const scope = v.pg_mode === 'citus' ? required(v, 'pg_shard') : cluster;
  const libs = v.pg_libs;
  const cpu = required(v, 'node_cpu');
  const sizing = pgSizing({
    profile,
    node_cpu: cpu,
    node_mem_mb: required(v, 'node_mem_mb'),
    disk_bytes: diskBytes,
    pg_max_conn: v.pg_max_conn,
    pg_default_service_dest: v.pg_default_service_dest,
    pg_shared_buffer_ratio: v.pg_shared_buffer_ratio,
    pg_libs: libs,
    pg_io_method: v.pg_io_method,
    os_package: required(v, 'os_package'),
    os_version: required(v, 'os_version'),
  });
  const version = v.pg_version;
  const sections = patroniParameters(sizing, {
    profile,
    pg_version: version,
    pg_mode: v.pg_mode,
    pg_cluster: cluster,
    pg_libs: libs,
    pg_log_dir: v.pg_log_dir,
    pg_storage_type: v.pg_storage_type,
    pgbackrest_enabled: v.pgbackrest_enabled,
    pg_primary_db: v.pg_primary_db,
    pg_parameters: v.pg_parameters,
  });

  const locale = v.pg_locale;
  const encoding = v.pg_encoding;
  const initdb: string[] = [];
  // a one-key map whose value reads back as written, whatever the inventory put in it
  const option = (key: string, value: string): string => `${key}: ${yamlScalar(value)}`;
  if (crit || v.pg_checksum) initdb.push('data-checksums');
  else if (version >= 17) initdb.push('no-data-checksums');
  if (version >= 17 && ['UTF8', 'UTF-8'].includes(encoding) && ['C', 'C.UTF-8'].includes(locale.toUpperCase())) {
    initdb.push(option('encoding', encoding), 'locale-provider: builtin', option('builtin-locale', locale));
  } else {
    if (encoding !== '') initdb.push(option('encoding', encoding));
    if (locale !== '') initdb.push(option('locale', locale));
  }
  if (v.pg_lc_collate !== '') initdb.push(option('lc-collate', v.pg_lc_collate));
  if (v.pg_lc_ctype !== '') initdb.push(option('lc-ctype', v.pg_lc_ctype));
  if (v.pg_mode === 'oracle') initdb.push('compatibility_mode: ora');

  const watchdog = v.patroni_watchdog_mode === false ? 'off' : v.patroni_watchdog_mode;
  return {
    profile,
    sizing,
    rto: rtoSettings(v.pg_rto, v.pg_rto_plan),
    sections,
    etcd_hosts: [...(v.groups.etcd ?? [])]
      .sort()
      .map((ip) => `${ip}:${v.etcd_port}`)
      .join(','),
    etcd_username: scope,
    etcd_password: v.pg_etcd_password !== '' ? v.pg_etcd_password : scope,
    scope,
    listen: listenAddress(v),
    allowlist: [...new Set([required(v, 'admin_ip'), ...required(v, 'pg_cluster_members'), ...(v.groups.infra ?? [])])].sort(),
    watchdog_mode: crit && watchdog === 'off' ? 'automatic' : watchdog,
    synchronous_mode: crit || v.pg_rpo === 0,
    synchronous_mode_strict: crit,
    initdb,
    spec: `${cpu}C.${required(v, 'node_mem_gb')}G.${sizing.disk_gb}G`,
    standby: v.pg_role === 'primary' && v.pg_upstream !== undefined,
    create_replica_pgbackrest: v.pgbackrest_enabled && v.pgbackrest_method !== 'local',
  };
}
