import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Static } from '@sinclair/typebox';
import { roleAsset } from '../../modules/file-state.ts';
import type { PgDatabaseArgs } from '../../modules/pg-database.ts';
import type { PgExtensionArgs } from '../../modules/pg-extension.ts';
import { parseDefaultPrivilege, type PgPrivilegesArgs } from '../../modules/pg-privileges.ts';
import type { PgRoleArgs } from '../../modules/pg-role.ts';
import type { PgSchemaArgs } from '../../modules/pg-schema.ts';
import type { PgDatabase, PgUser } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { dbsu } from './paths.ts';

// What provisioning hands the pg_* modules for pg_users and pg_databases entries, and in which order.

/** Databases Pigsty never drops. */
export const SYSTEM_DATABASES = ['postgres', 'template0', 'template1'];

/** Drop nothing undefined: modules refuse unknown keys, and an undefined value reads as "given" to no one. */
function defined<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/** The port argument of every pg_* module call. */
export const portArg = (v: RoleVars) => ({ port: v.pg_port });
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
    ...portArg(v),
  });
}

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
    ...portArg(v),
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
  return { db: db.name, grants, default_privileges: rules, ...portArg(v) };
}

export type SchemaItem = Static<typeof PgSchemaArgs>;
export type ExtensionItem = Static<typeof PgExtensionArgs>;

/** pg_schema arguments of every schema of the databases (Pigsty drops an absent schema with CASCADE). */
export function schemaItems(v: RoleVars, dbs: PgDatabase[]): SchemaItem[] {
  return dbs.flatMap((db) =>
    (db.schemas ?? []).map((s) =>
      typeof s === 'string'
        ? { name: s, db: db.name, ...portArg(v) }
        : defined({
            name: s.name,
            owner: s.owner === '' ? undefined : s.owner,
            state: s.state,
            cascade: s.state === 'absent' ? true : undefined,
            db: db.name,
            ...portArg(v),
          }),
    ),
  );
}

/** pg_extension arguments of every extension of the databases (created and dropped with CASCADE, as Pigsty does). */
export function extensionItems(v: RoleVars, dbs: PgDatabase[]): ExtensionItem[] {
  return dbs.flatMap((db) =>
    (db.extensions ?? []).map((e) =>
      typeof e === 'string'
        ? { name: e, cascade: true, db: db.name, ...portArg(v) }
        : defined({ name: e.name, schema: e.schema, version: e.version, state: e.state, cascade: true, db: db.name, ...portArg(v) }),
    ),
  );
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

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
