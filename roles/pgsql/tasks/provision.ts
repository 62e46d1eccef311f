import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { roleAsset } from '../../../modules/file-state.ts';
import { pgDatabase, type PgDatabaseArgs } from '../../../modules/pg-database.ts';
import { pgExtension, type PgExtensionArgs } from '../../../modules/pg-extension.ts';
import { parseDefaultPrivilege, pgPrivileges, type PgPrivilegesArgs } from '../../../modules/pg-privileges.ts';
import { pgRole, type PgRoleArgs } from '../../../modules/pg-role.ts';
import { pgSchema, type PgSchemaArgs } from '../../../modules/pg-schema.ts';
import { pgSql } from '../../../modules/pg-sql.ts';
import { quoteLiteral } from '../../../modules/pg-quote.ts';
import type { Static } from '@sinclair/typebox';
import type { PgDatabase, PgUser } from '../../params.ts';
import type { RoleVars } from '../../vars.ts';
import { dbsu } from '../paths.ts';

type ProvisionVars = RoleVars & { pg_db_created?: Record<string, TaskResult> };
const { task, include } = dsl<ProvisionVars>();

/** Databases Pigsty never drops. */
const SYSTEM_DATABASES = ['postgres', 'template0', 'template1'];

/** Drop nothing undefined: modules refuse unknown keys, and an undefined value reads as "given" to no one. */
function defined<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

const port = (v: RoleVars) => ({ port: v.pg_port });
/** Provisioning runs on the writable primary: not on replicas, not on a standby cluster's leader. */
export const provisionHost = (v: RoleVars): boolean => v.pg_role === 'primary' && !v.pg_upstream;

//------------------------------------------------------------------ users

/** The system users of the cluster, which a pg_users entry cannot drop. */
export function systemUsers(v: RoleVars): string[] {
  return [dbsu(v), 'postgres', v.pg_replication_username, v.pg_admin_username, v.pg_monitor_username];
}

/** pg_role arguments of a pg_users entry. */
export function roleArgs(v: RoleVars, user: PgUser): Static<typeof PgRoleArgs> {
  return defined({
    name: user.name,
    state: user.state ?? 'create',
    password: user.password === '' ? undefined : user.password,
    password_encryption: 'scram-sha-256',
    login: user.login,
    superuser: user.superuser,
    createdb: user.createdb,
    createrole: user.createrole,
    inherit: user.inherit,
    replication: user.replication,
    bypassrls: user.bypassrls,
    connlimit: user.connlimit,
    expire_in: user.expire_in,
    expire_at: user.expire_at,
    comment: user.comment,
    parameters: user.parameters,
    roles: user.roles,
    ...port(v),
  });
}

/**
 * The user steps [pg_user] for the users `select` picks: drop the absent ones (never a system user), then create
 * or converge the others in declaration order (a role may be granted one defined before it).
 */
export function userTasks(select: (v: RoleVars) => PgUser[]): TaskItem<ProvisionVars>[] {
  const dropped = (v: RoleVars) => select(v).filter((u) => u.state === 'absent' && !systemUsers(v).includes(u.name));
  const kept = (v: RoleVars) => select(v).filter((u) => u.state !== 'absent');
  return [
    task('drop absent users', pgRole, (v, user: PgUser) => ({ name: user.name, state: 'absent', ...port(v) }), {
      tags: ['pg_user_drop'],
      loop: dropped,
      when: (v) => provisionHost(v) && dropped(v).length > 0,
      become_user: dbsu,
      // As Pigsty: a role that still owns objects is reported, and the run goes on.
      ignore_errors: true,
    }),
    task('create or update users', pgRole, (v, user: PgUser) => roleArgs(v, user), {
      tags: ['pg_user_config', 'pg_user_create'],
      loop: kept,
      when: (v) => provisionHost(v) && kept(v).length > 0,
      become_user: dbsu,
    }),
  ];
}

//------------------------------------------------------------------ databases

/** How many clones deep a database is: 0 unless its template is another (non-absent) database of the list. */
export function templateDepth(db: PgDatabase, all: PgDatabase[], seen: string[] = []): number {
  const template = db.template;
  if (!template || SYSTEM_DATABASES.includes(template)) return 0;
  const parent = all.find((d) => d.name === template && d.state !== 'absent');
  if (!parent) return 0;
  if (seen.includes(parent.name)) throw new Error(`pg_databases: templates form a cycle through ${[...seen, db.name].join(' -> ')}`);
  return 1 + templateDepth(parent, all, [...seen, db.name]);
}

/** Databases cloned from databases cloned from ... up to this depth are provisioned in order; deeper is refused. */
export const MAX_TEMPLATE_DEPTH = 2;

/** PostgreSQL's way to reset a setting; Pigsty writes DEFAULT. */
const settingValue = (value: string | number | boolean): string | number | boolean | null =>
  typeof value === 'string' && value.toUpperCase() === 'DEFAULT' ? null : value;

/**
 * How a run treats the drops of pg_databases: `recreate` false turns state recreate into create (the pgsql role:
 * an entry left at recreate in the inventory must not lose its data on every deploy; pgsql-db recreates);
 * `force` recreates a database other sessions are connected to.
 */
export interface DropPolicy {
  recreate: boolean;
  force?: (v: RoleVars) => boolean;
}

/** The state a run applies to a pg_databases entry under a drop policy. */
export const appliedState = (db: PgDatabase, policy: DropPolicy): 'create' | 'absent' | 'recreate' =>
  db.state === 'recreate' && !policy.recreate ? 'create' : (db.state ?? 'create');

/**
 * pg_database arguments of a pg_databases entry (Pigsty's default comment, CONNECT kept for the system users);
 * a drop carries pg_safeguard, which refuses it.
 */
export function databaseArgs(v: RoleVars, db: PgDatabase, policy: DropPolicy = { recreate: false }): Static<typeof PgDatabaseArgs> {
  const state = appliedState(db, policy);
  return defined({
    name: db.name,
    state,
    owner: db.owner === '' ? undefined : db.owner,
    template: db.template === '' ? undefined : db.template,
    strategy: db.strategy,
    encoding: db.encoding === '' ? undefined : db.encoding,
    locale: db.locale === '' ? undefined : db.locale,
    lc_collate: db.lc_collate === '' ? undefined : db.lc_collate,
    lc_ctype: db.lc_ctype === '' ? undefined : db.lc_ctype,
    locale_provider: db.locale_provider,
    icu_locale: db.icu_locale === '' ? undefined : db.icu_locale,
    tablespace: db.tablespace === '' ? undefined : db.tablespace,
    is_template: db.is_template,
    allowconn: db.allowconn,
    connlimit: db.connlimit,
    comment: db.comment ?? `business database ${db.name}`,
    revokeconn: db.revokeconn,
    connect_roles: db.revokeconn === true ? [v.pg_replication_username, v.pg_monitor_username, v.pg_admin_username] : undefined,
    parameters: db.parameters ? Object.fromEntries(Object.entries(db.parameters).map(([k, value]) => [k, settingValue(value)])) : undefined,
    safeguard: state === 'create' ? undefined : v.pg_safeguard,
    force: state === 'recreate' ? (policy.force?.(v) ?? false) : undefined,
    ...port(v),
  });
}

/**
 * pg_privileges arguments of a database: CREATE on it and on its public schema only for dbrole_admin, all
 * privileges for its owner, and pg_default_privileges for objects the owner creates.
 */
export function privilegeArgs(v: RoleVars, db: PgDatabase): Static<typeof PgPrivilegesArgs> {
  const owner = db.owner === '' ? undefined : db.owner;
  const grants: NonNullable<Static<typeof PgPrivilegesArgs>['grants']> = [
    { on: 'DATABASE', name: db.name, privileges: ['CREATE'], to: 'PUBLIC', state: 'revoke' },
    { on: 'DATABASE', name: db.name, privileges: ['CREATE'], to: 'dbrole_admin' },
    { on: 'SCHEMA', name: 'public', privileges: ['CREATE'], to: 'PUBLIC', state: 'revoke' },
    { on: 'SCHEMA', name: 'public', privileges: ['CREATE'], to: 'dbrole_admin' },
  ];
  if (owner) grants.push({ on: 'DATABASE', name: db.name, privileges: ['ALL'], to: owner });
  const rules = owner ? v.pg_default_privileges.map((rule) => parseDefaultPrivilege(rule, owner)) : [];
  return { db: db.name, grants, default_privileges: rules, ...port(v) };
}

type SchemaItem = Static<typeof PgSchemaArgs>;
type ExtensionItem = Static<typeof PgExtensionArgs>;

/** pg_schema arguments of every schema of the databases (Pigsty drops an absent schema with CASCADE). */
export function schemaItems(v: RoleVars, dbs: PgDatabase[]): SchemaItem[] {
  return dbs.flatMap((db) =>
    (db.schemas ?? []).map((s) =>
      typeof s === 'string'
        ? { name: s, db: db.name, ...port(v) }
        : defined({ name: s.name, owner: s.owner === '' ? undefined : s.owner, state: s.state, cascade: s.state === 'absent' ? true : undefined, db: db.name, ...port(v) }),
    ),
  );
}

/** pg_extension arguments of every extension of the databases (created and dropped with CASCADE, as Pigsty does). */
export function extensionItems(v: RoleVars, dbs: PgDatabase[]): ExtensionItem[] {
  return dbs.flatMap((db) =>
    (db.extensions ?? []).map((e) =>
      typeof e === 'string'
        ? { name: e, cascade: true, db: db.name, ...port(v) }
        : defined({ name: e.name, schema: e.schema, version: e.version, state: e.state, cascade: true, db: db.name, ...port(v) }),
    ),
  );
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The controller file of a database's baseline: an absolute path as is; a relative one is looked up as Ansible's
 * copy looks up src, in the role's files/ (roles/pgsql/files/), then the repository's files/, then the repository
 * (the playbook directory). When none exists, the role's files/ path is returned (and reported missing).
 */
export function baselinePath(baseline: string): string {
  if (isAbsolute(baseline)) return baseline;
  const candidates = [roleAsset(import.meta.url, 'files', baseline), join(REPO, 'files', baseline), join(REPO, baseline)];
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

/** Whether the pg_database result of a database shows it was (re)created by this run. */
const createdNow = (result: TaskResult | undefined, name: string): boolean => {
  const create = `CREATE DATABASE "${name.replace(/"/g, '""')}"`;
  return result?.changed === true && Array.isArray(result.statements) && (result.statements as string[]).some((s) => s === create || s.startsWith(`${create} `));
};

/** The steps of one wave: databases at one template depth, created and provisioned before their clones are made. */
function waveTasks(depth: number, select: (v: RoleVars) => PgDatabase[], policy: DropPolicy): TaskItem<ProvisionVars>[] {
  const wave = (v: RoleVars) => select(v).filter((db) => db.state !== 'absent' && templateDepth(db, v.pg_databases) === depth);
  const at = depth === 0 ? '' : ` (clones, depth ${depth})`;
  const some = (items: (v: RoleVars) => unknown[]) => (v: RoleVars) => provisionHost(v) && items(v).length > 0;
  const clonesOfUserTemplates = (v: RoleVars) => (depth === 0 ? [] : wave(v).filter((db) => appliedState(db, policy) !== 'recreate'));
  return [
    task(
      `close sessions on the templates of new clones${at}`,
      pgSql,
      (v, db: PgDatabase) => ({
        // Only while the clone does not exist yet: CREATE DATABASE ... TEMPLATE needs the template to itself.
        sql: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(db.template ?? '')} AND pid <> pg_backend_pid() AND NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(db.name)})`,
        ...port(v),
      }),
      {
        tags: ['pg_db_create'],
        loop: clonesOfUserTemplates,
        when: some(clonesOfUserTemplates),
        become_user: dbsu,
        changed_when: (r) => (r.results ?? [r]).some((x) => Array.isArray(x.rows) && x.rows.length > 0),
      },
    ),
    task(`create or update databases${at}`, pgDatabase, (v, db: PgDatabase) => databaseArgs(v, db, policy), {
      tags: ['pg_db_create'],
      loop: wave,
      when: some(wave),
      become_user: dbsu,
      register: `pg_db_wave${depth}`,
    }),
    task(`set database privileges${at}`, pgPrivileges, (v, db: PgDatabase) => privilegeArgs(v, db), {
      tags: ['pg_db_create'],
      loop: wave,
      when: some(wave),
      become_user: dbsu,
    }),
    task(`create or drop schemas${at}`, pgSchema, (_v, item: SchemaItem) => item, {
      tags: ['pg_db_create'],
      loop: (v) => schemaItems(v, wave(v)),
      when: some((v) => schemaItems(v, wave(v))),
      become_user: dbsu,
    }),
    task(`create, update or drop extensions${at}`, pgExtension, (_v, item: ExtensionItem) => item, {
      tags: ['pg_db_create'],
      loop: (v) => extensionItems(v, wave(v)),
      when: some((v) => extensionItems(v, wave(v))),
      become_user: dbsu,
    }),
    ...baselineTasks(depth, wave),
  ];
}

/** Whether the database was created by this run's wave step. */
function createdInWave(v: ProvisionVars, depth: number, db: PgDatabase, wave: (v: RoleVars) => PgDatabase[]): boolean {
  const result = (v as unknown as Record<string, TaskResult | undefined>)[`pg_db_wave${depth}`];
  const index = wave(v).findIndex((d) => d.name === db.name);
  return createdNow(result?.results?.[index], db.name);
}

/**
 * Baselines [pg_db_baseline]: the SQL file is copied to /pg/tmp for reference and loaded once, right after the
 * database is created (a re-run leaves an existing database's data alone); a missing file is a notice.
 */
function baselineTasks(depth: number, wave: (v: RoleVars) => PgDatabase[]): TaskItem<ProvisionVars>[] {
  const withBaseline = (v: RoleVars) => wave(v).filter((db) => db.baseline !== undefined && db.baseline !== '');
  const present = (v: RoleVars) => withBaseline(v).filter((db) => existsSync(baselinePath(db.baseline as string)));
  const missing = (v: RoleVars) => withBaseline(v).filter((db) => !existsSync(baselinePath(db.baseline as string)));
  const at = depth === 0 ? '' : ` (clones, depth ${depth})`;
  return [
    task(
      `skip baselines that are not on the controller${at}`,
      debug,
      (v) => ({
        msg: `baseline skipped, file not found on the controller: ${missing(v)
          .map((db) => `${db.name} (${baselinePath(db.baseline as string)})`)
          .join(', ')}`,
      }),
      { tags: ['pg_db_config', 'pg_db_baseline'], when: (v) => provisionHost(v) && missing(v).length > 0 },
    ),
    task(
      `copy database baselines${at}`,
      copy,
      (v, db: PgDatabase) => ({ src: baselinePath(db.baseline as string), dest: `/pg/tmp/pg-db-${db.name}-baseline.sql`, owner: dbsu(v), group: 'postgres', mode: '0640' }),
      { tags: ['pg_db_config', 'pg_db_baseline'], loop: present, when: (v) => provisionHost(v) && present(v).length > 0 },
    ),
    task(
      `load baselines into new databases${at}`,
      pgSql,
      (v, db: PgDatabase) => ({ sql: readFileSync(baselinePath(db.baseline as string), 'utf8'), db: db.name, ...port(v) }),
      {
        tags: ['pg_db_create', 'pg_db_baseline'],
        loop: (v) => present(v).filter((db) => createdInWave(v, depth, db, wave)),
        when: (v) => provisionHost(v) && present(v).some((db) => createdInWave(v, depth, db, wave)),
        become_user: dbsu,
      },
    ),
  ];
}

/**
 * The database steps [pg_db] for the databases `select` picks, under a drop policy: drop the absent ones (never a
 * system database; refused under pg_safeguard),
 * then, template depth by depth, create or converge them with their privileges, schemas, extensions and
 * baseline, so a clone copies a template that is complete.
 */
export function databaseTasks(select: (v: RoleVars) => PgDatabase[], policy: DropPolicy): TaskItem<ProvisionVars>[] {
  const dropped = (v: RoleVars) => select(v).filter((db) => db.state === 'absent' && !SYSTEM_DATABASES.includes(db.name));
  const tooDeep = (v: RoleVars) => select(v).filter((db) => db.state !== 'absent' && templateDepth(db, v.pg_databases) > MAX_TEMPLATE_DEPTH);
  const leftToRecreate = (v: RoleVars) => select(v).flatMap((db) => (db.state === 'recreate' && appliedState(db, policy) !== 'recreate' ? [db.name] : []));
  return [
    task('drop absent databases', pgDatabase, (v, db: PgDatabase) => ({ name: db.name, state: 'absent', safeguard: v.pg_safeguard, ...port(v) }), {
      tags: ['pg_db_drop'],
      loop: dropped,
      when: (v) => provisionHost(v) && dropped(v).length > 0,
      become_user: dbsu,
    }),
    task('refuse template chains too deep', debug, (v) => ({ msg: `cloned from clones more than ${MAX_TEMPLATE_DEPTH} deep: ${tooDeep(v).map((d) => d.name).join(', ')}` }), {
      tags: ['pg_db_create'],
      when: (v) => provisionHost(v) && tooDeep(v).length > 0,
      failed_when: () => true,
    }),
    task(
      'leave databases at state recreate to pgsql-db',
      debug,
      (v) => ({ msg: `state recreate is applied by ./pgsql-db.ts -e dbname=NAME only; created here when missing: ${leftToRecreate(v).join(', ')}` }),
      { tags: ['pg_db_create'], when: (v) => provisionHost(v) && leftToRecreate(v).length > 0 },
    ),
    ...Array.from({ length: MAX_TEMPLATE_DEPTH + 1 }, (_, depth) => waveTasks(depth, select, policy)).flat(),
  ];
}

/**
 * The provisioning part of the pgsql role, on the primary: pg_users [pg_provision,pg_user] and pg_databases
 * [pg_provision,pg_db], when pg_provision is on.
 */
export const pgProvision = [
  include('pg_users', userTasks((v) => v.pg_users), { tags: ['pg_provision', 'pg_user'], when: (v) => v.pg_provision }),
  include('pg_databases', databaseTasks((v) => v.pg_databases, { recreate: false }), { tags: ['pg_provision', 'pg_db'], when: (v) => v.pg_provision }),
] as TaskItem<RoleVars>[];
