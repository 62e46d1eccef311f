import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePlaybook, tasksOf } from '../../engine/compile.ts';
import type { Connection } from '../../engine/connection/types.ts';
import { dsl } from '../../engine/dsl.ts';
import { executeTask, type TaskOutcome } from '../../engine/task-exec.ts';
import { pgDatabase } from '../../modules/pg-database.ts';
import { pgExtension } from '../../modules/pg-extension.ts';
import { parseDefaultPrivilege, pgPrivileges } from '../../modules/pg-privileges.ts';
import { pgRole } from '../../modules/pg-role.ts';
import { pgSchema } from '../../modules/pg-schema.ts';
import { md5Secret } from '../../modules/pg-quote.ts';
import { pgSql } from '../../modules/pg-sql.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, countingConnection, runModule, sh } from './module-harness.ts';

const DBSU = { become: { user: 'postgres' } };
const HOSTILE = 'x"; DROP DATABASE postgres; --';

let conn: Connection;

/** Read back with psql as postgres, independently of the modules: SQL on stdin, unaligned tuples. */
async function psql(sql: string, db = 'postgres'): Promise<string> {
  const r = await conn.exec(`cd / && sudo -u postgres psql -X -v ON_ERROR_STOP=1 -At -d ${db}`, { stdin: sql });
  if (r.code !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Log in over TCP with a password, as a client would. */
async function login(user: string, password: string): Promise<string> {
  const r = await conn.exec(`PGPASSWORD="$(cat)" psql -X -At -h 127.0.0.1 -U '${user}' -d postgres -c 'select current_user'`, { stdin: password });
  return r.code === 0 ? r.stdout.trim() : `failed: ${r.stderr.trim()}`;
}

const cleanup = `
update pg_database set datistemplate = false where datname like 'pgsty%';
select format('DROP DATABASE %I WITH (FORCE)', datname) from pg_database where datname like 'pgsty%' \\gexec
select format('DROP OWNED BY %I CASCADE', rolname) from pg_roles where rolname like 'pgsty%' \\gexec
select format('DROP ROLE %I', rolname) from pg_roles where rolname like 'pgsty%' or rolname = ${"'x\"; DROP DATABASE postgres; --'"} \\gexec
DROP TABLE IF EXISTS pgsty_t;
`;

beforeAll(async () => {
  conn = await connectNode(NODES['node-3']);
  await sh(
    conn,
    'test -x /usr/lib/postgresql/15/bin/postgres || (DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15) >/dev/null',
  );
  await sh(conn, 'pg_ctlcluster 15 main start 2>/dev/null; for i in $(seq 30); do pg_isready -q && break; sleep 1; done; pg_isready');
  await psql(cleanup);
});

afterAll(async () => {
  await psql(cleanup);
  await conn.close();
});

describe('pg_sql', () => {
  it('runs a readonly query in check mode too, reports unchanged, and returns rows with NULLs', async () => {
    const r = await runModule(
      conn,
      pgSql,
      { sql: "select 1 as n, null::text as missing, '' as empty, E'a|b\\nc' as odd", readonly: true },
      { ...DBSU, check: true },
    );
    expect(r.result.changed).toBe(false);
    expect(r.result.rows).toEqual([{ n: '1', missing: null, empty: '', odd: 'a|b\nc' }]);
  });

  it('keeps readonly SQL from writing', async () => {
    const r = await runModule(conn, pgSql, { sql: 'create table pgsty_t (x int)', readonly: true }, DBSU);
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toContain('read-only transaction');
    expect(await psql("select count(*) from pg_class where relname = 'pgsty_t'")).toBe('0');
  });

  it('in check mode reports the SQL it would run and runs nothing', async () => {
    const sql = 'create table pgsty_t (x int);\ninsert into pgsty_t values (1), (2) returning x;';
    const r = await runModule(conn, pgSql, { sql }, { ...DBSU, check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(
      'would run SQL on database postgres: create table pgsty_t (x int); insert into pgsty_t values (1), (2) returning x;',
    );
    expect(r.result.statements).toEqual([sql]);
    expect(await psql("select count(*) from pg_class where relname = 'pgsty_t'")).toBe('0');
  });

  it('runs SQL, reports changed and returns each result set, the last as rows', async () => {
    const sql = 'create table pgsty_t (x int);\ninsert into pgsty_t values (1), (2) returning x;\nselect count(*) as c, \'z\' as "Z" from pgsty_t;';
    const r = await runModule(conn, pgSql, { sql }, DBSU);
    expect(r.result.changed).toBe(true);
    expect(r.result.rows).toEqual([{ c: '2', Z: 'z' }]);
    expect(r.result.result_sets).toEqual([
      { columns: ['x'], rows: [['1'], ['2']] },
      { columns: ['c', 'Z'], rows: [['2', 'z']] },
    ]);
  });

  it('fails with the psql error, its line and the database', async () => {
    const r = await runModule(conn, pgSql, { sql: 'select 1;\nselect * from pgsty_nope;' }, DBSU);
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(
      /^SQL on database postgres failed: psql:<stdin>:2: ERROR: +relation "pgsty_nope" does not exist\nLINE 1: select \* from pgsty_nope;/,
    );
    const missing = await runModule(conn, pgSql, { sql: 'select 1', db: 'pgsty_nodb', readonly: true }, DBSU);
    expect(missing.result.msg).toMatch(/SQL on database pgsty_nodb failed: .*database "pgsty_nodb" does not exist/);
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(pgSql, {})?.describe()).toContain('missing required argument "sql"');
    expect(argumentError(pgSql, { sql: 'select 1', port: '5432' })?.describe()).toContain('argument "port" must be integer');
    expect(argumentError(pgSql, { sql: 'select 1', query: 'x' })?.describe()).toContain('unknown argument "query"');
  });
});

describe('pg_role', () => {
  const user = 'pgsty_u1';
  const secret = async (name = user) => psql(`select coalesce(rolpassword, 'NULL') from pg_authid where rolname = '${name}'`);

  it('in check mode lists the statements with the password masked and creates nothing', async () => {
    const r = await runModule(conn, pgRole, { name: user, password: 'Pass-1 $(x)', comment: "it's a test", connlimit: 3 }, { ...DBSU, check: true });
    expect(r.result.changed).toBe(true);
    expect(r.result.statements).toEqual([
      `CREATE ROLE "pgsty_u1" LOGIN CONNECTION LIMIT 3 PASSWORD '********'`,
      `COMMENT ON ROLE "pgsty_u1" IS 'it''s a test'`,
    ]);
    expect(r.plan?.summary).toBe(
      `role pgsty_u1: CREATE ROLE "pgsty_u1" LOGIN CONNECTION LIMIT 3 PASSWORD '********'; COMMENT ON ROLE "pgsty_u1" IS 'it''s a test'`,
    );
    expect(JSON.stringify(r)).not.toContain('Pass-1');
    expect(await psql(`select count(*) from pg_roles where rolname = '${user}'`)).toBe('0');
  });

  it('creates the role with a SCRAM verifier made locally, then reports unchanged', async () => {
    const args = { name: user, password: 'Pass-1 $(x)', comment: "it's a test", connlimit: 3 };
    const r = await runModule(conn, pgRole, args, DBSU);
    expect(r.result.changed).toBe(true);
    expect(await secret()).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(await psql(`select rolcanlogin, rolconnlimit, shobj_description(oid, 'pg_authid') from pg_roles where rolname = '${user}'`)).toBe(
      "t|3|it's a test",
    );
    expect(await login(user, 'Pass-1 $(x)')).toBe(user);
    const again = await runModule(conn, pgRole, args, DBSU);
    expect(again.result.changed).toBe(false);
    expect(again.result.statements).toEqual([]);
  });

  it('does not re-set an equal password, whether we or PostgreSQL hashed it, SCRAM or md5', async () => {
    const before = await secret();
    expect((await runModule(conn, pgRole, { name: user, password: 'Pass-1 $(x)' }, DBSU)).result.changed).toBe(false);
    expect(await secret()).toBe(before);

    await psql(`ALTER ROLE ${user} PASSWORD 'set by postgres ü'`);
    const pgMade = await secret();
    expect((await runModule(conn, pgRole, { name: user, password: 'set by postgres ü' }, DBSU)).result.changed).toBe(false);
    expect(await secret()).toBe(pgMade);

    await psql(`SET password_encryption = md5; ALTER ROLE ${user} PASSWORD 'md5 pass'`);
    expect(await secret()).toMatch(/^md5/);
    expect((await runModule(conn, pgRole, { name: user, password: 'md5 pass' }, DBSU)).result.changed).toBe(false);
    const upgrade = await runModule(conn, pgRole, { name: user, password: 'md5 pass', password_encryption: 'scram-sha-256' }, DBSU);
    expect(upgrade.result.statements).toEqual([`ALTER ROLE "pgsty_u1" PASSWORD '********'`]);
    expect(await secret()).toMatch(/^SCRAM-SHA-256\$/);
    expect(await login(user, 'md5 pass')).toBe(user);
  });

  it('sets a different password, masked everywhere, and the new one logs in', async () => {
    const r = await runModule(conn, pgRole, { name: user, password: "n3w'pass\\word" }, DBSU);
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`role pgsty_u1: ALTER ROLE "pgsty_u1" PASSWORD '********'`);
    expect(JSON.stringify(r)).not.toContain('n3w');
    expect(await login(user, "n3w'pass\\word")).toBe(user);
    expect(await login(user, 'md5 pass')).toMatch(/^failed: .*password authentication failed/);
  });

  it('keeps passwords out of the server log even with log_statement = all, and hashes non-ASCII ones as SCRAM even where md5 is the default', async () => {
    await psql("ALTER SYSTEM SET log_statement = 'all'; ALTER SYSTEM SET password_encryption = 'md5'; SELECT pg_reload_conf()");
    try {
      await runModule(conn, pgRole, { name: 'pgsty_u3', password: 'ascii-Secret-41' }, DBSU);
      await runModule(conn, pgRole, { name: 'pgsty_u3', password: 'ünïcødé-Secret-42' }, DBSU);
      expect(await secret('pgsty_u3')).toMatch(/^SCRAM-SHA-256\$/);
      expect(await login('pgsty_u3', 'ünïcødé-Secret-42')).toBe('pgsty_u3');
      expect((await runModule(conn, pgRole, { name: 'pgsty_u3', password: 'ünïcødé-Secret-42' }, DBSU)).result.changed).toBe(false);
      await runModule(conn, pgRole, { name: 'pgsty_u3', password: 'md5-Secret-43', password_encryption: 'md5' }, DBSU);
      // Debian's pg_hba asks for scram-sha-256 on 127.0.0.1, which an md5 secret cannot answer: compare the secret instead.
      expect(await secret('pgsty_u3')).toBe(md5Secret('md5-Secret-43', 'pgsty_u3'));
      await psql("SELECT 'pgsty-log-marker'");
      const log = '/var/log/postgresql/postgresql-15-main.log';
      expect(await sh(conn, `grep -c pgsty-log-marker ${log} || true`)).not.toBe('0\n');
      expect(await sh(conn, `grep -c -e Secret-4 -e 'SCRAM-SHA-256\\$4096' ${log} || true`)).toBe('0\n');
    } finally {
      await psql('ALTER SYSTEM RESET log_statement; ALTER SYSTEM RESET password_encryption; SELECT pg_reload_conf()');
    }
  });

  it('changes only the attribute that differs', async () => {
    const r = await runModule(conn, pgRole, { name: user, password: "n3w'pass\\word", connlimit: 5, comment: "it's a test", login: true }, DBSU);
    expect(r.result.statements).toEqual([`ALTER ROLE "pgsty_u1" CONNECTION LIMIT 5`]);
    expect(await psql(`select rolconnlimit from pg_roles where rolname = '${user}'`)).toBe('5');
    const flags = await runModule(conn, pgRole, { name: user, createdb: true, login: false, inherit: true }, DBSU);
    expect(flags.result.statements).toEqual([`ALTER ROLE "pgsty_u1" NOLOGIN CREATEDB`]);
  });

  it('sets expiry, settings and comment idempotently; a null setting resets it', async () => {
    const args = { name: user, expire_at: '2031-01-02', parameters: { search_path: '"$user", Monitor', work_mem: '32MB', statement_timeout: 0 } };
    const r = await runModule(conn, pgRole, args, DBSU);
    expect(r.result.statements).toEqual([
      `ALTER ROLE "pgsty_u1" VALID UNTIL '2031-01-02 00:00:00'`,
      `ALTER ROLE "pgsty_u1" SET "search_path" = '$user', 'monitor'`,
      `ALTER ROLE "pgsty_u1" SET "work_mem" = '32MB'`,
      `ALTER ROLE "pgsty_u1" SET "statement_timeout" = '0'`,
    ]);
    expect((await runModule(conn, pgRole, args, DBSU)).result.changed).toBe(false);
    const inDays = await runModule(conn, pgRole, { name: user, expire_in: 10, expire_at: '2031-01-02' }, DBSU);
    expect(inDays.result.statements).toHaveLength(1);
    expect(await psql(`select rolvaliduntil::date - current_date from pg_roles where rolname = '${user}'`)).toBe('10');
    expect((await runModule(conn, pgRole, { name: user, expire_in: 10 }, DBSU)).result.changed).toBe(false);
    const reset = await runModule(conn, pgRole, { name: user, parameters: { work_mem: null, maintenance_work_mem: null } }, DBSU);
    expect(reset.result.statements).toEqual([`ALTER ROLE "pgsty_u1" RESET "work_mem"`]);
    expect(await psql(`select setconfig from pg_db_role_setting where setrole = '${user}'::regrole`)).toBe(
      '{"search_path=\\"$user\\", monitor",statement_timeout=0}',
    );
  });

  it('grants membership with ADMIN, converges the option, revokes, and warns about PostgreSQL 16 options', async () => {
    await runModule(conn, pgRole, { name: 'pgsty_group', login: false }, DBSU);
    const grant = await runModule(conn, pgRole, { name: user, roles: [{ name: 'pgsty_group', admin: true }] }, DBSU);
    expect(grant.result.statements).toEqual([`GRANT "pgsty_group" TO "pgsty_u1" WITH ADMIN OPTION`]);
    const member = `select admin_option from pg_auth_members where roleid = 'pgsty_group'::regrole and member = '${user}'::regrole`;
    expect(await psql(member)).toBe('t');
    expect((await runModule(conn, pgRole, { name: user, roles: ['pgsty_group'] }, DBSU)).result.changed).toBe(false);
    const noAdmin = await runModule(conn, pgRole, { name: user, roles: [{ name: 'pgsty_group', admin: false, set: false }] }, DBSU);
    expect(noAdmin.result.statements).toEqual([`REVOKE ADMIN OPTION FOR "pgsty_group" FROM "pgsty_u1"`]);
    expect(noAdmin.plan?.warnings).toEqual(['membership of pgsty_u1 in pgsty_group: PostgreSQL 15 has no SET option (PostgreSQL 16+), ignored']);
    expect(await psql(member)).toBe('f');
    const revoke = await runModule(conn, pgRole, { name: user, roles: [{ name: 'pgsty_group', state: 'absent' }] }, DBSU);
    expect(revoke.result.statements).toEqual([`REVOKE "pgsty_group" FROM "pgsty_u1"`]);
    expect(await psql(member)).toBe('');
  });

  it('creates a role with a hostile name as exactly that name, and drops it', async () => {
    const r = await runModule(conn, pgRole, { name: HOSTILE, login: false }, DBSU);
    expect(r.result.statements).toEqual([`CREATE ROLE "x""; DROP DATABASE postgres; --" NOLOGIN`]);
    expect(await psql(`select rolname from pg_roles where rolname like 'x"%'`)).toBe(HOSTILE);
    expect(await psql(`select count(*) from pg_database where datname = 'postgres'`)).toBe('1');
    expect((await runModule(conn, pgRole, { name: HOSTILE, state: 'absent' }, DBSU)).result.changed).toBe(true);
    expect(await psql(`select count(*) from pg_roles where rolname like 'x"%'`)).toBe('0');
  });

  it('refuses a name PostgreSQL would truncate, before touching the host', async () => {
    const r = await runModule(conn, pgRole, { name: `pgsty_${'x'.repeat(58)}` }, DBSU);
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe(`name "pgsty_${'x'.repeat(58)}" is 64 bytes long; PostgreSQL names are at most 63 bytes`);
  });

  it('drops the role with state absent, then reports unchanged', async () => {
    const check = await runModule(conn, pgRole, { name: user, state: 'absent' }, { ...DBSU, check: true });
    expect(check.result.statements).toEqual([`DROP ROLE "pgsty_u1"`]);
    expect(await psql(`select count(*) from pg_roles where rolname = '${user}'`)).toBe('1');
    expect((await runModule(conn, pgRole, { name: user, state: 'absent' }, DBSU)).result.changed).toBe(true);
    expect(await psql(`select count(*) from pg_roles where rolname = '${user}'`)).toBe('0');
    expect((await runModule(conn, pgRole, { name: user, state: 'absent' }, DBSU)).result.changed).toBe(false);
  });

  it('fails with the server error when a statement fails', async () => {
    const r = await runModule(conn, pgRole, { name: 'pgsty_u2', roles: ['pgsty_no_such_group'] }, DBSU);
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/^role pgsty_u2 failed: psql:<stdin>:\d+: ERROR: +role "pgsty_no_such_group" does not exist/);
    expect(await psql(`select count(*) from pg_roles where rolname = 'pgsty_u2'`)).toBe('0');
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(pgRole, { name: 'u', state: 'present' })?.describe()).toContain(
      'argument "state" must be equal to one of the allowed values: one of create, absent',
    );
    expect(argumentError(pgRole, { name: 'u', expire_at: 'tomorrow' })?.describe()).toContain('argument "expire_at" must match pattern');
    expect(argumentError(pgRole, { name: 'u', parameters: { 'bad name': 1 } })?.describe()).toContain('unknown argument "parameters.bad name"');
    expect(argumentError(pgRole, { name: 'u', roles: [{ name: 'g', admin: 'yes' }] })?.describe()).toContain('"roles.0');
  });

  it('in a loop, creates roles that grant earlier items, then reads every role once for a no-op pass', async () => {
    const { task } = dsl<Record<string, never>>();
    const names = ['pgsty_loop_a', 'pgsty_loop_b', 'pgsty_loop_c'];
    const roles = task('roles', pgRole, (_v, name: string) => ({ name, login: false, roles: name === 'pgsty_loop_c' ? ['pgsty_loop_a'] : [] }), {
      loop: names,
    });
    const [compiled] = tasksOf(
      compilePlaybook({ name: 'roles', description: 'roles', plays: [{ name: 'roles', hosts: 'all', tasks: [roles] }] })[0]!,
    );
    const counted = countingConnection(() => conn);
    const run = (): Promise<TaskOutcome> => {
      counted.reset();
      return executeTask(compiled!, {
        host: 'node',
        vars: {},
        check: false,
        connect: async () => counted.connection,
        become: DBSU.become,
        playName: 'roles',
      });
    };
    expect((await run()).status).toBe('changed');
    expect(
      await psql(
        `select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = 'pgsty_loop_c'`,
      ),
    ).toBe('pgsty_loop_a');
    expect((await run()).status).toBe('ok');
    expect(counted.commands()).toBe(1);
  });
});

describe('pg_database', () => {
  const db = 'pgsty_db1';
  const base = {
    name: db,
    owner: 'pgsty_owner',
    comment: 'test db',
    connlimit: 20,
    parameters: { work_mem: '16MB' },
    revokeconn: true,
    connect_roles: ['pgsty_monitor'],
  };

  beforeAll(async () => {
    await psql('CREATE ROLE pgsty_owner LOGIN; CREATE ROLE pgsty_monitor LOGIN; CREATE ROLE pgsty_other LOGIN');
  });

  it('in check mode lists the statements and creates nothing', async () => {
    const r = await runModule(conn, pgDatabase, base, { ...DBSU, check: true });
    expect(r.result.statements).toEqual([
      'CREATE DATABASE "pgsty_db1" OWNER "pgsty_owner" CONNECTION LIMIT 20',
      `COMMENT ON DATABASE "pgsty_db1" IS 'test db'`,
      `ALTER DATABASE "pgsty_db1" SET "work_mem" = '16MB'`,
      'REVOKE CONNECT ON DATABASE "pgsty_db1" FROM PUBLIC',
      'GRANT CONNECT ON DATABASE "pgsty_db1" TO "pgsty_monitor"',
    ]);
    expect(await psql(`select count(*) from pg_database where datname = '${db}'`)).toBe('0');
  });

  it('creates it, then reports unchanged', async () => {
    expect((await runModule(conn, pgDatabase, base, DBSU)).result.changed).toBe(true);
    expect(
      await psql(`select pg_get_userbyid(datdba), datconnlimit, shobj_description(oid, 'pg_database') from pg_database where datname = '${db}'`),
    ).toBe('pgsty_owner|20|test db');
    const can = (role: string) => `select has_database_privilege('${role}', '${db}', 'CONNECT')`;
    expect([await psql(can('pgsty_owner')), await psql(can('pgsty_monitor')), await psql(can('pgsty_other'))]).toEqual(['t', 't', 'f']);
    const again = await runModule(conn, pgDatabase, base, DBSU);
    expect(again.result.changed).toBe(false);
    expect(again.plan?.warnings).toBeUndefined();
  });

  it('changes only what differs; creation-time attributes that differ are a warning', async () => {
    const r = await runModule(conn, pgDatabase, { ...base, comment: 'new comment', encoding: 'SQL_ASCII', locale: 'C.UTF-8' }, DBSU);
    expect(r.result.statements).toEqual([`COMMENT ON DATABASE "pgsty_db1" IS 'new comment'`]);
    expect(r.plan?.warnings?.[0]).toMatch(/^database pgsty_db1 exists with encoding UTF8 \(wanted SQL_ASCII\): these are set at creation only/);
    const owner = await runModule(conn, pgDatabase, { name: db, owner: 'pgsty_other', revokeconn: true }, DBSU);
    expect(owner.result.statements).toEqual(['ALTER DATABASE "pgsty_db1" OWNER TO "pgsty_other"']);
    expect(await psql(`select has_database_privilege('pgsty_other', '${db}', 'CONNECT')`)).toBe('t');
    const open = await runModule(conn, pgDatabase, { name: db, revokeconn: false, allowconn: true, is_template: false }, DBSU);
    expect(open.result.statements).toEqual(['GRANT CONNECT ON DATABASE "pgsty_db1" TO PUBLIC']);
  });

  it('clones a template with strategy FILE_COPY', async () => {
    await runModule(conn, pgDatabase, { name: 'pgsty_tpl', is_template: true }, DBSU);
    await psql('create table pgsty_seed as select 42 as answer', 'pgsty_tpl');
    const r = await runModule(conn, pgDatabase, { name: 'pgsty_clone', template: 'pgsty_tpl', strategy: 'FILE_COPY' }, DBSU);
    expect(r.result.statements).toEqual(['CREATE DATABASE "pgsty_clone" TEMPLATE "pgsty_tpl" STRATEGY FILE_COPY']);
    expect(await psql('select answer from pgsty_seed', 'pgsty_clone')).toBe('42');
    expect((await runModule(conn, pgDatabase, { name: 'pgsty_clone', template: 'pgsty_tpl', strategy: 'FILE_COPY' }, DBSU)).result.changed).toBe(
      false,
    );
  });

  it('recreates a database (always changed), losing its content', async () => {
    const r = await runModule(conn, pgDatabase, { name: 'pgsty_clone', state: 'recreate' }, DBSU);
    expect(r.result.changed).toBe(true);
    expect(r.result.statements).toEqual(['DROP DATABASE "pgsty_clone" WITH (FORCE)', 'CREATE DATABASE "pgsty_clone"']);
    expect(await psql("select count(*) from pg_class where relname = 'pgsty_seed'", 'pgsty_clone')).toBe('0');
  });

  it('drops a template database with a session open in it, then reports unchanged', async () => {
    await sh(conn, `cd / && (sudo -u postgres psql -X -d pgsty_tpl -c 'select pg_sleep(60)' >/dev/null 2>&1 &) ; sleep 1`);
    expect(await psql("select count(*) from pg_stat_activity where datname = 'pgsty_tpl'")).toBe('1');
    const r = await runModule(conn, pgDatabase, { name: 'pgsty_tpl', state: 'absent' }, DBSU);
    expect(r.result.statements).toEqual(['ALTER DATABASE "pgsty_tpl" WITH IS_TEMPLATE false', 'DROP DATABASE "pgsty_tpl" WITH (FORCE)']);
    expect(await psql("select count(*) from pg_database where datname = 'pgsty_tpl'")).toBe('0');
    expect((await runModule(conn, pgDatabase, { name: 'pgsty_tpl', state: 'absent' }, DBSU)).result.changed).toBe(false);
  });

  it('fails with the server error for an owner that does not exist', async () => {
    const r = await runModule(conn, pgDatabase, { name: 'pgsty_db2', owner: 'pgsty_nobody' }, DBSU);
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/^database pgsty_db2 failed: psql:<stdin>:1: ERROR: +role "pgsty_nobody" does not exist/);
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(pgDatabase, { name: 'd', strategy: 'copy' })?.describe()).toContain(
      'argument "strategy" must be equal to one of the allowed values: one of FILE_COPY, WAL_LOG',
    );
    expect(argumentError(pgDatabase, { name: 'd', baseline: 'x.sql' })?.describe()).toContain('unknown argument "baseline"');
  });
});

describe('pg_schema', () => {
  const db = 'pgsty_db1';

  it('plans a schema in a database that does not exist yet in check mode, instead of failing', async () => {
    const r = await runModule(conn, pgSchema, { name: 'app', db: 'pgsty_later' }, { ...DBSU, check: true });
    expect(r.result.failed).toBe(false);
    expect(r.result.statements).toEqual(['CREATE SCHEMA "app"']);
  });

  it('creates it with an owner (check mode first), then reports unchanged', async () => {
    const check = await runModule(conn, pgSchema, { name: 'pgsty_app', owner: 'pgsty_owner', db }, { ...DBSU, check: true });
    expect(check.result.statements).toEqual(['CREATE SCHEMA "pgsty_app" AUTHORIZATION "pgsty_owner"']);
    expect(await psql("select count(*) from pg_namespace where nspname = 'pgsty_app'", db)).toBe('0');
    expect((await runModule(conn, pgSchema, { name: 'pgsty_app', owner: 'pgsty_owner', db }, DBSU)).result.changed).toBe(true);
    expect(await psql("select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'pgsty_app'", db)).toBe('pgsty_owner');
    expect((await runModule(conn, pgSchema, { name: 'pgsty_app', owner: 'pgsty_owner', db }, DBSU)).result.changed).toBe(false);
  });

  it('changes the owner, then drops it (with cascade when asked)', async () => {
    const owner = await runModule(conn, pgSchema, { name: 'pgsty_app', owner: 'pgsty_other', db }, DBSU);
    expect(owner.result.statements).toEqual(['ALTER SCHEMA "pgsty_app" OWNER TO "pgsty_other"']);
    await psql('create table pgsty_app.t (x int)', db);
    const plain = await runModule(conn, pgSchema, { name: 'pgsty_app', state: 'absent', db }, DBSU);
    expect(plain.result.failed).toBe(true);
    expect(plain.result.msg).toMatch(
      /^schema pgsty_app in pgsty_db1 failed: psql:<stdin>:\d+: ERROR: +cannot drop schema pgsty_app because other objects depend on it\nDETAIL: +table pgsty_app.t depends on schema pgsty_app/,
    );
    expect((await runModule(conn, pgSchema, { name: 'pgsty_app', state: 'absent', cascade: true, db }, DBSU)).result.changed).toBe(true);
    expect(await psql("select count(*) from pg_namespace where nspname = 'pgsty_app'", db)).toBe('0');
    expect((await runModule(conn, pgSchema, { name: 'pgsty_app', state: 'absent', db }, DBSU)).result.changed).toBe(false);
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(pgSchema, { name: 's', state: 'present' })?.describe()).toContain('argument "state"');
  });
});

describe('pg_extension', () => {
  const db = 'pgsty_db1';
  const version = () => psql("select extversion || ' ' || extnamespace::regnamespace from pg_extension where extname = 'hstore'", db);

  it('creates a pinned older version (check mode first), then reports unchanged', async () => {
    const check = await runModule(conn, pgExtension, { name: 'hstore', version: '1.4', db }, { ...DBSU, check: true });
    expect(check.result.statements).toEqual([`CREATE EXTENSION "hstore" VERSION '1.4'`]);
    expect(await version()).toBe('');
    expect((await runModule(conn, pgExtension, { name: 'hstore', version: '1.4', db }, DBSU)).result.changed).toBe(true);
    expect(await version()).toBe('1.4 public');
    expect((await runModule(conn, pgExtension, { name: 'hstore', version: '1.4', db }, DBSU)).result.changed).toBe(false);
    expect((await runModule(conn, pgExtension, { name: 'hstore', db }, DBSU)).result.changed).toBe(false);
  });

  it('updates to a version, then to latest, and moves it to a schema', async () => {
    const up = await runModule(conn, pgExtension, { name: 'hstore', version: 1.5, db }, DBSU);
    expect(up.result.statements).toEqual([`ALTER EXTENSION "hstore" UPDATE TO '1.5'`]);
    expect(await version()).toBe('1.5 public');
    const latest = await runModule(conn, pgExtension, { name: 'hstore', version: 'latest', db }, DBSU);
    expect(latest.result.statements).toEqual([`ALTER EXTENSION "hstore" UPDATE TO '1.8'`]);
    expect((await runModule(conn, pgExtension, { name: 'hstore', version: 'latest', db }, DBSU)).result.changed).toBe(false);
    await psql('create schema pgsty_ext', db);
    const moved = await runModule(conn, pgExtension, { name: 'hstore', schema: 'pgsty_ext', db }, DBSU);
    expect(moved.result.statements).toEqual(['ALTER EXTENSION "hstore" SET SCHEMA "pgsty_ext"']);
    expect(await version()).toBe('1.8 pgsty_ext');
  });

  it('refuses a version or extension the server does not have: a warning in check mode, a failure for real', async () => {
    const check = await runModule(conn, pgExtension, { name: 'hstore', version: '9.9', db }, { ...DBSU, check: true });
    expect(check.result.changed).toBe(true);
    expect(check.plan?.warnings).toEqual(['extension hstore in pgsty_db1: version 9.9 is not available; available: 1.4, 1.5, 1.6, 1.7, 1.8']);
    const real = await runModule(conn, pgExtension, { name: 'pgsty_no_such_ext', db }, DBSU);
    expect(real.result.failed).toBe(true);
    expect(real.result.msg).toBe(
      'extension pgsty_no_such_ext in pgsty_db1: pgsty_no_such_ext is not available on this server (is its package installed?)',
    );
  });

  it('drops it, then reports unchanged', async () => {
    expect((await runModule(conn, pgExtension, { name: 'hstore', state: 'absent', db }, DBSU)).result.statements).toEqual([
      'DROP EXTENSION "hstore"',
    ]);
    expect(await version()).toBe('');
    expect((await runModule(conn, pgExtension, { name: 'hstore', state: 'absent', db }, DBSU)).result.changed).toBe(false);
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(pgExtension, { name: 'e', version: true })?.describe()).toContain('"version"');
  });
});

describe('pg_privileges', () => {
  const db = 'pgsty_db1';
  const rules = [
    parseDefaultPrivilege('GRANT SELECT ON TABLES TO pgsty_monitor', 'pgsty_owner'),
    parseDefaultPrivilege('GRANT USAGE, UPDATE ON SEQUENCES TO pgsty_monitor', 'pgsty_owner'),
    parseDefaultPrivilege('GRANT EXECUTE ON FUNCTIONS TO pgsty_monitor', 'pgsty_owner'),
  ];
  const grants = [
    { on: 'SCHEMA' as const, name: 'public', privileges: ['CREATE' as const], to: 'PUBLIC', state: 'revoke' as const },
    { on: 'SCHEMA' as const, name: 'public', privileges: ['CREATE' as const], to: 'pgsty_owner' },
    { on: 'DATABASE' as const, name: db, privileges: ['CREATE' as const], to: 'PUBLIC', state: 'revoke' as const },
    { on: 'DATABASE' as const, name: db, privileges: ['CREATE' as const], to: 'pgsty_monitor' },
    { on: 'FUNCTION' as const, name: 'pg_catalog.pg_switch_wal()', privileges: ['EXECUTE' as const], to: 'pgsty_monitor' },
  ];

  it('in check mode lists only the missing grants and changes nothing', async () => {
    const r = await runModule(conn, pgPrivileges, { default_privileges: rules, grants, db }, { ...DBSU, check: true });
    expect(r.result.statements).toEqual([
      'ALTER DEFAULT PRIVILEGES FOR ROLE "pgsty_owner" GRANT SELECT ON TABLES TO "pgsty_monitor"',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "pgsty_owner" GRANT USAGE, UPDATE ON SEQUENCES TO "pgsty_monitor"',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "pgsty_owner" GRANT EXECUTE ON FUNCTIONS TO "pgsty_monitor"',
      'GRANT CREATE ON SCHEMA "public" TO "pgsty_owner"',
      'GRANT CREATE ON DATABASE "pgsty_db1" TO "pgsty_monitor"',
      'GRANT EXECUTE ON FUNCTION pg_switch_wal() TO "pgsty_monitor"',
    ]);
    expect(await psql("select count(*) from pg_default_acl where defaclrole = 'pgsty_owner'::regrole", db)).toBe('0');
  });

  it('applies them, future objects get them, and a second run changes nothing', async () => {
    expect((await runModule(conn, pgPrivileges, { default_privileges: rules, grants, db }, DBSU)).result.changed).toBe(true);
    await psql('SET ROLE pgsty_owner; CREATE TABLE pgsty_future (x serial)', db);
    expect(
      await psql(
        "select has_table_privilege('pgsty_monitor', 'pgsty_future', 'SELECT'), has_table_privilege('pgsty_monitor', 'pgsty_future', 'INSERT')",
        db,
      ),
    ).toBe('t|f');
    expect(await psql("select has_function_privilege('pgsty_monitor', 'pg_switch_wal()', 'EXECUTE')", db)).toBe('t');
    expect(
      await psql(
        "select has_schema_privilege('pgsty_owner', 'public', 'CREATE'), has_database_privilege('pgsty_monitor', 'pgsty_db1', 'CREATE')",
        db,
      ),
    ).toBe('t|t');
    const again = await runModule(conn, pgPrivileges, { default_privileges: rules, grants, db }, DBSU);
    expect(again.result.changed).toBe(false);
  });

  it('revokes what is held, including built-in defaults, and expands ALL per object kind', async () => {
    const r = await runModule(
      conn,
      pgPrivileges,
      {
        db,
        default_privileges: [
          { for_role: 'pgsty_owner', on: 'SEQUENCES', privileges: ['UPDATE'], to: 'pgsty_monitor', state: 'revoke' },
          { for_role: 'pgsty_owner', on: 'TYPES', privileges: ['USAGE'], to: 'public', state: 'revoke' },
          { for_role: 'pgsty_owner', schema: 'public', on: 'TABLES', privileges: ['ALL'], to: 'pgsty_other' },
        ],
      },
      DBSU,
    );
    expect(r.result.statements).toEqual([
      'ALTER DEFAULT PRIVILEGES FOR ROLE "pgsty_owner" REVOKE UPDATE ON SEQUENCES FROM "pgsty_monitor"',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "pgsty_owner" REVOKE USAGE ON TYPES FROM PUBLIC',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "pgsty_owner" IN SCHEMA "public" GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES TO "pgsty_other"',
    ]);
  });

  it('fails for a missing object for real, warns in check mode', async () => {
    const grant = [{ on: 'TABLE' as const, name: 'pgsty_missing', privileges: ['SELECT' as const], to: 'pgsty_monitor' }];
    const check = await runModule(conn, pgPrivileges, { grants: grant, db }, { ...DBSU, check: true });
    expect(check.plan?.warnings).toEqual(['table pgsty_missing does not exist (yet)']);
    expect(check.result.statements).toEqual(['GRANT SELECT ON TABLE pgsty_missing TO "pgsty_monitor"']);
    const real = await runModule(conn, pgPrivileges, { grants: grant, db }, DBSU);
    expect(real.result.msg).toBe('table pgsty_missing does not exist');
  });

  it('rejects bad arguments before touching the host', async () => {
    expect(argumentError(pgPrivileges, { grants: [{ on: 'VIEW', name: 'v', privileges: ['SELECT'], to: 'r' }] })?.describe()).toContain(
      '"grants.0.on"',
    );
    const r = await runModule(conn, pgPrivileges, { grants: [{ on: 'SCHEMA', name: 'public', privileges: ['SELECT'], to: 'r' }] }, DBSU);
    expect(r.result.msg).toBe('SCHEMA public: SELECT cannot be granted on SCHEMA (valid: ALL, USAGE, CREATE)');
  });
});
