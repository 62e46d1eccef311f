import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Static } from '@sinclair/typebox';
import type { TaskResult } from '../../engine/dsl.ts';
import type { PgRoleArgs } from '../../modules/pg-role.ts';
import { GUC_NAME as GUC_NAME_PATTERN, SINGLE_LINE, type PgUser, type ParamVars } from '../params.ts';
import type { RoleVars } from '../vars.ts';

/** Results the core pgsql tasks register and read back; undefined when the step did not run (tags, conditions). */
export interface PgRegistered {
  pg_dbsu_lookup?: TaskResult;
  pg_dbsu_pubkey?: TaskResult;
  pg_policy_rc?: TaskResult;
  pg_distro_clusters?: TaskResult;
  pg_fs_size?: TaskResult;
  pg_conf_result?: TaskResult;
  pg_units_result?: TaskResult;
  pg_primary_launch?: TaskResult;
  pg_primary_hba?: TaskResult;
  pg_primary_param?: TaskResult;
  pg_available_ext?: TaskResult;
  pg_monitor_objects?: TaskResult;
  pg_hba_result?: TaskResult;
  pg_param_result?: TaskResult;
  pg_patroni_paused?: TaskResult;
  pg_replica_launch?: TaskResult;
  /** pg_conf_load_time() then the mtimes of pg_hba.conf and postgresql.auto.conf (see postgresReloadPending). */
  pg_conf_loaded?: TaskResult;
  pg_patroni_pending?: TaskResult;
  /** Where the primary got in this run: replicas refuse to start unless it is 'ready' (or did not run at all). */
  pg_primary_state?: 'launching' | 'initializing' | 'ready';
}

export type PgVars = RoleVars & PgRegistered;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The dbsu's OS name. */
export const dbsu = (v: ParamVars): string => v.pg_dbsu;

/** Task options that run a task as the dbsu: the work done in the dbsu's own directories. */
export const asDbsu = { become_user: (v: ParamVars): string => dbsu(v) };

/** <pg_fs_main>/<pg_cluster>-<pg_version>: what /pg links to. */
export const clusterDir = (v: ParamVars): string => `${v.pg_fs_main}/${v.pg_cluster}-${v.pg_version}`;

/** <pg_fs_backup>/<pg_cluster>-<pg_version>: the local backup repository lives in its backup/ (linked as /pg/backup). */
export const backupDir = (v: ParamVars): string => `${v.pg_fs_backup}/${v.pg_cluster}-${v.pg_version}`;

/** Where the PostgreSQL binaries of pg_mode are installed: pg_home_map when node_id loaded one, else the distro layout. */
export function pgHome(v: RoleVars): string {
  const version = String(v.pg_version);
  const mapped = v.pg_home_map?.[v.pg_mode];
  const home = mapped ?? (v.os_package === 'deb' ? '/usr/lib/postgresql/$v' : '/usr/pgsql-$v');
  return home.replaceAll('${pg_version}', version).replaceAll('$v', version);
}

/** Pigsty's uid 26 is taken on Debian, so a deb host gets 543 unless the inventory chose another uid. */
export const dbsuUid = (v: RoleVars): number => {
  const uid = v.pg_dbsu_uid;
  return v.os_package === 'deb' && uid === 26 ? 543 : uid;
};

/** A pg_files entry on the controller: absolute, or relative to the repository's files/ directory. */
export const controllerFile = (path: string): string => (isAbsolute(path) ? path : join(ROOT, 'files', path));

/** The sudo commands of pg_dbsu_sudo: limit (systemctl on the PostgreSQL services, watchdog setup, haproxy reload). */
export function dbsuSudoCommands(dbsuName: string): string[] {
  // Pigsty's unit names, and the Debian exporters' that stand in for its pg_exporter and pgbouncer_exporter here.
  const services = [
    'postgres',
    'pgbouncer',
    'patroni',
    'pgbackrest',
    'pg_exporter',
    'pgbouncer_exporter',
    'pgbackrest_exporter',
    'prometheus-postgres-exporter',
    'prometheus-pgbouncer-exporter',
    'vip-manager',
  ];
  return [
    '/sbin/modprobe softdog',
    `/bin/chown ${dbsuName} /dev/watchdog`,
    ...services.flatMap((s) => ['stop', 'start', 'status', 'reload', 'restart'].map((a) => `/bin/systemctl ${a} ${s}`)),
    '/bin/systemctl reload haproxy',
  ];
}

/** A configuration parameter name, custom ones (extension.name) included. */
const GUC_NAME = new RegExp(GUC_NAME_PATTERN);
const LINE = new RegExp(SINGLE_LINE);

/** postgresql.auto.conf from pg_parameters: list-valued settings unquoted, every other value single-quoted. */
export function autoConf(parameters: Record<string, unknown>): string {
  const lists = new Set([
    'search_path',
    'temp_tablespaces',
    'local_preload_libraries',
    'session_preload_libraries',
    'log_destination',
    'shared_preload_libraries',
    'unix_socket_directories',
    'debug_io_direct',
  ]);
  const lines = Object.entries(parameters).map(([key, value]) => {
    // The schema checks values, not map keys: a key is a parameter name or it could start a line of its own.
    if (!GUC_NAME.test(key)) throw new Error(`pg_parameters: ${JSON.stringify(key)} is not a parameter name`);
    const text = String(value);
    if (!LINE.test(text)) throw new Error(`pg_parameters: the value of ${key} is not a single line`);
    return lists.has(key) ? `${key} = ${text}` : `${key} = '${text.replaceAll("'", "''")}'`;
  });
  return ['# Managed by the pgsql role from pg_parameters: do not edit, and do not use ALTER SYSTEM.', ...lines, ''].join('\n');
}

/** A .pgpass field: ':' and '\' escaped. */
const pgpassField = (s: string): string => s.replaceAll('\\', '\\\\').replaceAll(':', '\\:');

/** The ~/.pgpass line for a user on any host, port and database. */
export const pgpassLine = (user: string, password: string): string => `*:*:*:${pgpassField(user)}:${pgpassField(password)}`;

/** The pgpass regexp that finds an existing line of `user`, for lineinfile to replace. */
export const pgpassRegexp = (user: string): string => `^\\*:\\*:\\*:${pgpassField(user).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`;

/** The system users whose passwords come from parameters rather than the role list. */
export function systemPasswords(v: ParamVars): Record<string, string> {
  const passwords: Record<string, string> = {
    [v.pg_replication_username]: v.pg_replication_password,
    [v.pg_monitor_username]: v.pg_monitor_password,
    [v.pg_admin_username]: v.pg_admin_password,
  };
  const dbsuPassword = v.pg_dbsu_password;
  if (dbsuPassword !== '') passwords[dbsu(v)] = dbsuPassword;
  return passwords;
}

/**
 * pg_role module arguments for one pg_users / pg_default_roles entry: the pgbouncer fields dropped, the password
 * given or (for the replication, monitor and admin users) taken from their parameters, and the monitor user's
 * search_path pointing at the monitor schema as Pigsty sets it.
 */
export function pgRoleArgs(user: PgUser, v: ParamVars): Static<typeof PgRoleArgs> {
  const { pgbouncer: _pgbouncer, pool_mode: _mode, pool_connlimit: _limit, ...rest } = user;
  const args: Static<typeof PgRoleArgs> = { ...rest, password_encryption: 'scram-sha-256', port: v.pg_port };
  const password = user.password ?? systemPasswords(v)[user.name];
  if (password !== undefined) args.password = password;
  else delete args.password;
  if (user.name === v.pg_monitor_username) args.parameters = { search_path: 'monitor,public', ...(user.parameters ?? {}) };
  return args;
}
