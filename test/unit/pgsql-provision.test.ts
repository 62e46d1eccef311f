import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Task } from '../../engine/dsl.ts';
import { PigstyParams, type PgDatabase, type PgUser } from '../../roles/params.ts';
import { PG_DEFAULT_PRIVILEGES } from '../../roles/pgsql/defaults.ts';
import { coerceExtraVars } from '../../engine/schema.ts';
import {
  baselinePath,
  databaseArgs,
  extensionItems,
  privilegeArgs,
  roleArgs,
  schemaItems,
  systemUsers,
  templateDepth,
} from '../../roles/pgsql/provision-args.ts';
import { databaseTasks } from '../../roles/pgsql/tasks/database.ts';
import { provisionTasks } from '../../roles/pgsql/tasks/provision.ts';
import { userTasks } from '../../roles/pgsql/tasks/user.ts';
import type { RoleVars } from '../../roles/vars.ts';
import { userDefinition } from '../../playbooks/pgsql-user.ts';
import { databaseDefinition } from '../../playbooks/pgsql-db.ts';
import { databaseStatements, type DatabaseRow, type DatabaseState } from '../../modules/pg-database.ts';
import { tasksOf } from './role-tasks.ts';
import { pgHost } from './role-host.ts';

const loopOf = <T>(t: Task<RoleVars> | undefined, v: RoleVars): T[] =>
  (typeof t?.loop === 'function' ? t.loop(v, undefined) : (t?.loop ?? [])) as T[];

describe('users', () => {
  it('maps a pg_users entry to pg_role arguments, with the cluster password encryption', () => {
    const user: PgUser = {
      name: 'dbuser_app',
      password: 'DBUser.App',
      login: true,
      connlimit: 5,
      expire_in: 30,
      roles: ['dbrole_readwrite', { name: 'dbrole_admin', state: 'revoke' }],
      parameters: { work_mem: '64MB' },
      pgbouncer: true,
      pool_mode: 'session',
    };
    expect(roleArgs(pgHost({ pg_port: 5433 }), user)).toEqual({
      name: 'dbuser_app',
      state: 'create',
      password: 'DBUser.App',
      password_encryption: 'scram-sha-256',
      login: true,
      connlimit: 5,
      expire_in: 30,
      roles: ['dbrole_readwrite', { name: 'dbrole_admin', state: 'revoke' }],
      parameters: { work_mem: '64MB' },
      port: 5433,
    });
    // An empty password sets none.
    expect(roleArgs(pgHost(), { name: 'u', password: '' })).toEqual({ name: 'u', state: 'create', password_encryption: 'scram-sha-256', port: 5432 });
  });

  it('drops absent users, never the system ones, and converges the others in order on the primary only', () => {
    const users: PgUser[] = [
      { name: 'a' },
      { name: 'gone', state: 'absent' },
      { name: 'dbuser_dba', state: 'absent' },
      { name: 'b', state: 'create' },
    ];
    const tasks = tasksOf(userTasks((v) => v.pg_users));
    const v = pgHost({ pg_users: users });
    expect(loopOf<PgUser>(tasks.get('drop absent users'), v).map((u) => u.name)).toEqual(['gone']);
    expect(loopOf<PgUser>(tasks.get('create or update users'), v).map((u) => u.name)).toEqual(['a', 'b']);
    expect(tasks.get('create or update users')?.when?.(v)).toBe(true);
    expect(tasks.get('create or update users')?.when?.(pgHost({ pg_users: users, pg_role: 'replica' }))).toBe(false);
    expect(tasks.get('create or update users')?.when?.(pgHost({ pg_users: users, pg_upstream: '10.10.10.10' }))).toBe(false);
    expect(systemUsers(pgHost({ pg_admin_username: 'dba', pg_dbsu: 'pg' }))).toEqual(['pg', 'postgres', 'replicator', 'dba', 'dbuser_monitor']);
  });
});

describe('databases', () => {
  it('maps a pg_databases entry to pg_database arguments: default comment, CONNECT for system users, DEFAULT resets', () => {
    const db: PgDatabase = {
      name: 'app',
      owner: 'dbuser_app',
      template: 'template0',
      strategy: 'FILE_COPY',
      encoding: 'UTF8',
      locale: '',
      revokeconn: true,
      connlimit: 50,
      parameters: { work_mem: '32MB', search_path: 'DEFAULT' },
      pgbouncer: true,
      pool_size: 10,
      schemas: ['s'],
    };
    expect(databaseArgs(pgHost({ pg_monitor_username: 'mon' }), db)).toEqual({
      name: 'app',
      state: 'create',
      owner: 'dbuser_app',
      template: 'template0',
      strategy: 'FILE_COPY',
      encoding: 'UTF8',
      connlimit: 50,
      comment: 'business database app',
      revokeconn: true,
      connect_roles: ['replicator', 'mon', 'dbuser_dba'],
      parameters: { work_mem: '32MB', search_path: null },
      port: 5432,
    });
    expect(databaseArgs(pgHost(), { name: 'x', comment: 'mine', state: 'recreate' }, { recreate: true })).toEqual({
      name: 'x',
      state: 'recreate',
      comment: 'mine',
      safeguard: false,
      force: false,
      port: 5432,
    });
  });

  it('keeps CREATE for dbrole_admin and gives the owner pg_default_privileges', () => {
    const args = privilegeArgs(pgHost(), { name: 'app', owner: 'dbuser_app' });
    expect(args.db).toBe('app');
    expect(args.grants).toEqual([
      { on: 'DATABASE', name: 'app', privileges: ['CREATE'], to: 'PUBLIC', state: 'revoke' },
      { on: 'DATABASE', name: 'app', privileges: ['CREATE'], to: 'dbrole_admin' },
      { on: 'SCHEMA', name: 'public', privileges: ['CREATE'], to: 'PUBLIC', state: 'revoke' },
      { on: 'SCHEMA', name: 'public', privileges: ['CREATE'], to: 'dbrole_admin' },
      { on: 'DATABASE', name: 'app', privileges: ['ALL'], to: 'dbuser_app' },
    ]);
    expect(args.default_privileges).toHaveLength(PG_DEFAULT_PRIVILEGES.length);
    expect(args.default_privileges?.[0]).toEqual({
      for_role: 'dbuser_app',
      on: 'SCHEMAS',
      privileges: ['USAGE'],
      to: 'dbrole_readonly',
      state: 'grant',
    });
    expect(privilegeArgs(pgHost(), { name: 'app' }).default_privileges).toEqual([]);
    expect(
      privilegeArgs(pgHost({ pg_default_privileges: ['GRANT SELECT ON TABLES TO x'] }), { name: 'a', owner: 'o' }).default_privileges,
    ).toHaveLength(1);
  });

  it('lists schemas and extensions per database (absent schemas drop with CASCADE)', () => {
    const dbs: PgDatabase[] = [
      {
        name: 'a',
        schemas: ['s1', { name: 's2', owner: 'o' }, { name: 's3', state: 'absent' }],
        extensions: ['pg_trgm', { name: 'vector', schema: 'public', version: '0.5.1' }],
      },
      { name: 'b', extensions: [{ name: 'postgis', state: 'absent' }] },
    ];
    expect(schemaItems(pgHost(), dbs)).toEqual([
      { name: 's1', db: 'a', port: 5432 },
      { name: 's2', owner: 'o', db: 'a', port: 5432 },
      { name: 's3', state: 'absent', cascade: true, db: 'a', port: 5432 },
    ]);
    expect(extensionItems(pgHost({ pg_port: 5433 }), dbs)).toEqual([
      { name: 'pg_trgm', cascade: true, db: 'a', port: 5433 },
      { name: 'vector', schema: 'public', version: '0.5.1', cascade: true, db: 'a', port: 5433 },
      { name: 'postgis', state: 'absent', cascade: true, db: 'b', port: 5433 },
    ]);
  });

  it('orders clones after their templates, refusing cycles', () => {
    const dbs: PgDatabase[] = [
      { name: 'a' },
      { name: 'b', template: 'a' },
      { name: 'c', template: 'b' },
      { name: 'd', template: 'template0' },
      { name: 'e', template: 'gone' },
    ];
    expect(dbs.map((d) => templateDepth(d, dbs))).toEqual([0, 1, 2, 0, 0]);
    expect(templateDepth({ name: 'b', template: 'a' }, [{ name: 'a', state: 'absent' }])).toBe(0);
    const cycle: PgDatabase[] = [
      { name: 'x', template: 'y' },
      { name: 'y', template: 'x' },
    ];
    expect(() => templateDepth(cycle[0] as PgDatabase, cycle)).toThrow(/cycle/);
  });

  it('drops absent databases but never the system ones, then creates each template depth in turn', () => {
    const v = pgHost({
      pg_databases: [
        { name: 'old', state: 'absent' },
        { name: 'postgres', state: 'absent' },
        { name: 'a' },
        { name: 'b', template: 'a', strategy: 'FILE_COPY' },
        { name: 'c' },
      ],
    });
    const tasks = tasksOf(databaseTasks((x) => x.pg_databases, { recreate: false }));
    expect(loopOf<PgDatabase>(tasks.get('drop absent databases'), v).map((d) => d.name)).toEqual(['old']);
    expect(loopOf<PgDatabase>(tasks.get('create or update databases'), v).map((d) => d.name)).toEqual(['a', 'c']);
    expect(loopOf<PgDatabase>(tasks.get('create or update databases (clones, depth 1)'), v).map((d) => d.name)).toEqual(['b']);
    expect(tasks.get('create or update databases (clones, depth 2)')?.when?.(v)).toBe(false);
    expect(tasks.get('refuse template chains too deep')?.when?.(v)).toBe(false);
    const deep = pgHost({ pg_databases: [{ name: 'a' }, { name: 'b', template: 'a' }, { name: 'c', template: 'b' }, { name: 'd', template: 'c' }] });
    expect(tasks.get('refuse template chains too deep')?.when?.(deep)).toBe(true);
  });

  it('finds a baseline in the role files, the repository files, or the repository; absolute paths as given', () => {
    expect(baselinePath('/srv/x.sql')).toBe('/srv/x.sql');
    const repoRelative = baselinePath('test/e2e/fixtures/pgsql-access-baseline.sql');
    expect(repoRelative).toBe(fileURLToPath(new URL('../e2e/fixtures/pgsql-access-baseline.sql', import.meta.url)));
    expect(existsSync(repoRelative)).toBe(true);
    expect(baselinePath('nowhere.sql')).toBe(fileURLToPath(new URL('../../roles/pgsql/files/nowhere.sql', import.meta.url)));
  });

  it('tags users and databases as Pigsty does and skips them when pg_provision is off', () => {
    const [users, dbs] = provisionTasks as { kind: string; tags: string[]; when: (v: RoleVars) => boolean }[];
    expect(users?.tags).toEqual(['pg_provision', 'pg_user']);
    expect(dbs?.tags).toEqual(['pg_provision', 'pg_db']);
    expect(users?.when(pgHost())).toBe(true);
    expect(users?.when(pgHost({ pg_provision: false }))).toBe(false);
    // -e pg_provision=false, as the engine hands it to the roles.
    expect(dbs?.when(pgHost(coerceExtraVars(PigstyParams, { pg_provision: 'false' })))).toBe(false);
  });
});

describe('pgsql-user and pgsql-db definitions', () => {
  const v = pgHost({ pg_users: [{ name: 'u1' }, { name: 'u2', pgbouncer: true }], pg_databases: [{ name: 'd1' }] });

  it('finds the entry -e names, or none', () => {
    expect(userDefinition({ ...v, username: 'u2' })).toEqual({ name: 'u2', pgbouncer: true });
    expect(userDefinition({ ...v, username: 'u3' })).toBeUndefined();
    expect(userDefinition({ ...v })).toBeUndefined();
    expect(databaseDefinition({ ...v, dbname: 'd1' })).toEqual({ name: 'd1' });
    expect(databaseDefinition({ ...v, dbname: 42 })).toBeUndefined();
  });
});

describe('database drops: pg_safeguard, sessions, and state recreate left in the inventory', () => {
  const row = (sessions: number): DatabaseRow => ({
    datistemplate: false,
    datallowconn: true,
    datconnlimit: -1,
    owner: 'postgres',
    encoding_name: 'UTF8',
    tablespace: 'pg_default',
    comment: null,
    parameters: null,
    connect: [],
    sessions,
  });
  const existing = (sessions = 0): DatabaseState => ({ version: 150004, db: row(sessions) });
  const sql = (plan: { statements: { sql: string }[] }) => plan.statements.map((s) => s.sql);

  it('refuses absent and recreate under pg_safeguard, naming the override', () => {
    expect(() => databaseStatements({ name: 'app', state: 'absent', safeguard: true }, existing())).toThrow(
      'pg_safeguard is on: database app is not dropped; override with -e pg_safeguard=false',
    );
    expect(() => databaseStatements({ name: 'app', state: 'recreate', safeguard: true, force: true }, existing())).toThrow(
      'pg_safeguard is on: database app is not recreated (dropped, its data lost, and created again); override with -e pg_safeguard=false',
    );
  });

  it('under pg_safeguard still creates a missing database and leaves an absent one that is already gone', () => {
    expect(sql(databaseStatements({ name: 'app', state: 'recreate', safeguard: true }, { version: 150004, db: null }))).toEqual([
      'CREATE DATABASE "app"',
    ]);
    expect(sql(databaseStatements({ name: 'app', state: 'absent', safeguard: true }, { version: 150004, db: null }))).toEqual([]);
  });

  it('refuses to recreate a database with connected sessions unless forced', () => {
    expect(() => databaseStatements({ name: 'app', state: 'recreate' }, existing(2))).toThrow(
      'database app has 2 connected sessions: not recreated while in use; disconnect them, or force it (pgsql-db: -e dbforce=true terminates them)',
    );
    expect(sql(databaseStatements({ name: 'app', state: 'recreate', force: true }, existing(2)))).toEqual([
      'DROP DATABASE "app" WITH (FORCE)',
      'CREATE DATABASE "app"',
    ]);
    expect(sql(databaseStatements({ name: 'app', state: 'recreate' }, existing(0)))).toEqual([
      'DROP DATABASE "app" WITH (FORCE)',
      'CREATE DATABASE "app"',
    ]);
  });

  it('the pgsql role creates an entry left at recreate, where pgsql-db recreates it, forced by -e dbforce', () => {
    const v = pgHost({ pg_databases: [{ name: 'scratch', state: 'recreate' }], pg_safeguard: true });
    const role = tasksOf(databaseTasks((x) => x.pg_databases, { recreate: false }));
    const create = role.get('create or update databases');
    expect(typeof create?.args === 'function' && create.args(v, { name: 'scratch', state: 'recreate' } as never)).toMatchObject({
      name: 'scratch',
      state: 'create',
    });
    expect(role.get('leave databases at state recreate to pgsql-db')?.when?.(v)).toBe(true);

    const db = tasksOf(databaseTasks((x) => x.pg_databases, { recreate: true, force: (x) => (x as { dbforce?: unknown }).dbforce === true }));
    const recreate = db.get('create or update databases');
    const args = (extra: Record<string, unknown>) =>
      typeof recreate?.args === 'function'
        ? recreate.args({ ...v, ...extra } as RoleVars, { name: 'scratch', state: 'recreate' } as never)
        : undefined;
    expect(args({})).toMatchObject({ state: 'recreate', safeguard: true, force: false });
    expect(args({ dbforce: true, pg_safeguard: false })).toMatchObject({ state: 'recreate', safeguard: false, force: true });
    expect(db.get('leave databases at state recreate to pgsql-db')?.when?.(v)).toBe(false);
  });

  it('drops absent databases with pg_safeguard passed on', () => {
    const v = pgHost({ pg_databases: [{ name: 'old', state: 'absent' }], pg_safeguard: true });
    const drop = tasksOf(databaseTasks((x) => x.pg_databases, { recreate: false })).get('drop absent databases');
    expect(typeof drop?.args === 'function' && drop.args(v, { name: 'old', state: 'absent' } as never)).toEqual({
      name: 'old',
      state: 'absent',
      safeguard: true,
      port: 5432,
    });
  });
});
