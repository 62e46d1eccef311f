import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { filesPath } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { lineinfile } from '../../../modules/lineinfile.ts';
import { pgExtension } from '../../../modules/pg-extension.ts';
import { parseDefaultPrivilege, pgPrivileges } from '../../../modules/pg-privileges.ts';
import { pgRole } from '../../../modules/pg-role.ts';
import { pgSchema } from '../../../modules/pg-schema.ts';
import { pgSql } from '../../../modules/pg-sql.ts';
import { setFact } from '../../../modules/set-fact.ts';
import type { PgUser, ParamVars } from '../../params.ts';
import { asDbsu, dbsu, pgpassLine, pgpassRegexp, pgRoleArgs, systemPasswords, type PgVars } from '../paths.ts';

const { task, include } = dsl<PgVars>();

/** Pigsty initializes the template database and postgres alike, so new databases start with the same objects. */
const INIT_DBS = ['template1', 'postgres'];

type ExtensionItem = NonNullable<ParamVars['pg_default_extensions']>[number];
const extName = (e: ExtensionItem): string => (typeof e === 'string' ? e : e.name);

/** Extensions this server can create, from the read in this run; undefined when it did not run. */
const available = (v: PgVars): Set<string> | undefined => {
  const rows = v.pg_available_ext?.rows as { name: string }[] | undefined;
  return rows === undefined ? undefined : new Set(rows.map((r) => r.name));
};

/** Default extensions paired with each init database, leaving out what no installed package provides. */
function extensionItems(v: PgVars): { db: string; ext: ExtensionItem }[] {
  const have = available(v);
  const wanted = v.pg_default_extensions.filter((e) => have === undefined || have.has(extName(e)));
  return INIT_DBS.flatMap((db) => wanted.map((ext) => ({ db, ext })));
}

function missingExtensions(v: PgVars): string[] {
  const have = available(v);
  return have === undefined ? [] : v.pg_default_extensions.map(extName).filter((n) => !have.has(n));
}

/** Grants Pigsty's init template makes: backup functions for the replicator, the monitor schema for the system users. */
function initGrants(v: PgVars) {
  const repl = v.pg_replication_username;
  const version = v.pg_version;
  const functions = [
    'pg_catalog.current_setting(text)',
    'pg_catalog.set_config(text, text, boolean)',
    'pg_catalog.pg_is_in_recovery()',
    ...(version < 15 ? ['pg_catalog.pg_start_backup(text, boolean, boolean)', 'pg_catalog.pg_stop_backup(boolean, boolean)'] : []),
    'pg_catalog.pg_create_restore_point(text)',
    'pg_catalog.pg_switch_wal()',
    'pg_catalog.pg_last_wal_replay_lsn()',
    'pg_catalog.txid_current()',
    'pg_catalog.txid_current_snapshot()',
    'pg_catalog.txid_snapshot_xmax(txid_snapshot)',
    'pg_catalog.pg_control_checkpoint()',
  ];
  const monitorSchema = v.pg_default_schemas.includes('monitor');
  return [
    { on: 'SCHEMA' as const, name: 'public', privileges: ['CREATE' as const], to: 'PUBLIC', state: 'revoke' as const },
    { on: 'SCHEMA' as const, name: 'pg_catalog', privileges: ['USAGE' as const], to: repl },
    ...functions.map((name) => ({ on: 'FUNCTION' as const, name, privileges: ['EXECUTE' as const], to: repl })),
    ...(monitorSchema
      ? [v.pg_monitor_username, v.pg_admin_username, repl].map((to) => ({
          on: 'SCHEMA' as const,
          name: 'monitor',
          privileges: ['USAGE' as const],
          to,
        }))
      : []),
  ];
}

/** ALTER DEFAULT PRIVILEGES for objects the dbsu, the admin user and dbrole_admin create. */
function defaultPrivileges(v: PgVars) {
  const owners = [dbsu(v), v.pg_admin_username, 'dbrole_admin'];
  return owners.flatMap((owner) => v.pg_default_privileges.map((rule) => parseDefaultPrivilege(rule, owner)));
}

/**
 * The monitor schema's objects (heartbeat, pgbouncer_auth for pgbouncer_auth_query), run where the schema's comment
 * does not carry this version of the file: reruns change nothing, a changed file is applied once.
 */
const MONITOR_OBJECTS_FILE = readFileSync(filesPath(import.meta.url, 'monitor-objects.sql'), 'utf8');
const MONITOR_VERSION = `Pigsty monitor objects ${createHash('sha256').update(MONITOR_OBJECTS_FILE).digest('hex').slice(0, 16)}`;
const MONITOR_OBJECTS_SQL = `${MONITOR_OBJECTS_FILE}\nCOMMENT ON SCHEMA monitor IS '${MONITOR_VERSION}';\nCOMMIT;\n`;
const MONITOR_MARKER_SQL = "SELECT coalesce(obj_description(oid, 'pg_namespace'), '') AS version FROM pg_namespace WHERE nspname = 'monitor'";

const monitorDbs = (v: PgVars): string[] => (v.pg_default_schemas.includes('monitor') ? INIT_DBS : []);

/** The init databases whose monitor schema lacks this version of the objects, from the read in this run. */
function staleMonitorDbs(v: PgVars): string[] {
  const read = v.pg_monitor_objects?.results ?? [];
  return monitorDbs(v).filter((_db, i) => (read[i]?.rows as { version: string }[] | undefined)?.[0]?.version !== MONITOR_VERSION);
}

const initSteps = [
  task('mark the primary initializing', setFact, { pg_primary_state: 'initializing' }),
  task('create default roles and users', pgRole, (v, user: PgUser) => pgRoleArgs(user, v), {
    ...asDbsu,
    loop: (v) => v.pg_default_roles,
  }),
  task('create default schemas', pgSchema, (v, item: { db: string; name: string }) => ({ name: item.name, db: item.db, port: v.pg_port }), {
    ...asDbsu,
    loop: (v) => INIT_DBS.flatMap((db) => v.pg_default_schemas.map((name) => ({ db, name }))),
  }),
  task(
    'grant default privileges',
    pgPrivileges,
    (v, db: string) => ({ db, port: v.pg_port, default_privileges: defaultPrivileges(v), grants: initGrants(v) }),
    { ...asDbsu, loop: INIT_DBS },
  ),
  task('read the available extensions', pgSql, (v) => ({ sql: 'SELECT name FROM pg_available_extensions', port: v.pg_port, readonly: true }), {
    ...asDbsu,
    register: 'pg_available_ext',
  }),
  task(
    'skip unavailable extensions',
    debug,
    (v) => ({ msg: `skipped: no installed package provides ${missingExtensions(v).join(', ')} (add its package to pg_packages or pg_extensions)` }),
    {
      when: (v) => missingExtensions(v).length > 0,
    },
  ),
  task(
    'create default extensions',
    pgExtension,
    (v, item: { db: string; ext: ExtensionItem }) => {
      const ext = typeof item.ext === 'string' ? { name: item.ext } : item.ext;
      return { ...ext, db: item.db, port: v.pg_port, cascade: true };
    },
    { ...asDbsu, loop: extensionItems },
  ),
  task('read the monitor objects version', pgSql, (v, db: string) => ({ sql: MONITOR_MARKER_SQL, db, port: v.pg_port, readonly: true }), {
    ...asDbsu,
    loop: (v) => monitorDbs(v),
    register: 'pg_monitor_objects',
  }),
  task('create the monitor objects', pgSql, (v, db: string) => ({ sql: MONITOR_OBJECTS_SQL, db, port: v.pg_port }), {
    ...asDbsu,
    loop: staleMonitorDbs,
    when: (v) => staleMonitorDbs(v).length > 0,
  }),
  task('skip the monitor views', debug, {
    msg: "skipped: Pigsty's bloat views, pg_shmem() and the pg_log foreign table of the monitor schema are not created by this role",
  }),
  task('mark the primary ready', setFact, { pg_primary_state: 'ready' }),
];

/**
 * The dbsu's ~/.pgpass holds the system users' passwords, for tools run as the dbsu. Written as the dbsu: its home is
 * the dbsu's to change, and a symlink planted there then reaches only what the dbsu could write anyway.
 */
const pgpassTasks = [
  task(
    'write system users to the dbsu pgpass',
    lineinfile,
    (v, user: string) => ({
      path: `${v.pg_dbsu_home}/.pgpass`,
      regexp: pgpassRegexp(user),
      line: pgpassLine(user, systemPasswords(v)[user] ?? ''),
      create: true,
      owner: dbsu(v),
      group: 'postgres',
      mode: '0600',
    }),
    { ...asDbsu, loop: (v) => Object.keys(systemPasswords(v)), no_log: true },
  ),
];

/** [pg_init] on the primary: default roles, privileges, schemas and extensions in template1 and postgres; [pg_pass] everywhere. */
export const initTasks: TaskItem<PgVars>[] = [
  include('init postgres cluster', initSteps, { tags: ['pg_init'], when: (v) => v.pg_role === 'primary' }),
  include('write default userpass to pgpass', pgpassTasks, { tags: ['pg_pass'] }),
];
