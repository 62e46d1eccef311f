import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { onNode, recap, results, ROOT, runEntry, sandbox, type Run } from './harness.ts';

// The pgsql role's provision, backup, crontab and access task lists on x51: Debian's PostgreSQL 15 cluster stands in
// for the core (no Patroni), the inventory is test/fixtures/roles/pgsql-access.yml.
const IP = '10.10.10.51';
const INVENTORY = 'test/fixtures/roles/pgsql-access.yml';
const PLAYBOOK = 'test/e2e/fixtures/pgsql-access-playbook.ts';

const sh = (cmd: string): string => {
  const r = onNode(IP, cmd);
  return r.stdout.trim();
};
const sql = (db: string, query: string): string => sh(`cd / && runuser -u postgres -- psql -X -At -d ${db} -c "${query}" 2>&1`);
/** A query through pgbouncer on :6432 as a user with a password; the output, or the error. */
const viaPgbouncer = (user: string, password: string, db: string, query: string): string =>
  sh(`PGPASSWORD='${password}' psql -X -At -h 127.0.0.1 -p 6432 -U ${user} -d ${db} -c "${query}" 2>&1`);

const changedCount = (run: Run): number => Object.values(recap(run).hosts).reduce((n, c) => n + (c.changed ?? 0), 0);
const statusOf = (run: Run, task: string): unknown[] => results(run, task).map((e) => e.status);

describe('pgsql provision, backup and access on x51', () => {
  let first: Run;

  beforeAll(async () => {
    // reset first: a node left with a failed unit (vip-manager before this role disables it) is refused by up.
    sandbox('reset', 'x51');
    sandbox('up', 'x51');
    first = await runEntry(PLAYBOOK, ['-i', INVENTORY, '--json']);
    console.log(`fresh deploy on x51: ${(recap(first) as unknown as { duration_ms: number }).duration_ms} ms`);
  });

  it('deploys without failures', () => {
    expect(recap(first).exit_code, first.stdout.slice(-3000) + first.stderr).toBe(0);
  });

  it('creates the users with their attributes, memberships and settings, and drops none it should keep', () => {
    expect(sql('postgres', "select rolname, rolcanlogin, rolconnlimit from pg_roles where rolname like 'dbuser_%' order by 1")).toBe(
      ['dbuser_app|t|-1', 'dbuser_batch|t|4', 'dbuser_dba|t|-1', 'dbuser_monitor|t|-1', 'dbuser_view|t|-1'].join('\n'),
    );
    expect(
      sql('postgres', "select pg_has_role('dbuser_app', 'dbrole_readwrite', 'member'), pg_has_role('dbuser_view', 'dbrole_readwrite', 'member')"),
    ).toBe('t|f');
    expect(sql('postgres', "select setconfig from pg_db_role_setting where setrole = 'dbuser_view'::regrole")).toBe('{statement_timeout=30000}');
    expect(sql('postgres', "select rolpassword like 'SCRAM-SHA-256%' from pg_authid where rolname = 'dbuser_app'")).toBe('t');
  });

  it('creates, clones and drops databases: owner, comment, settings, CONNECT, schemas, extensions, baseline', () => {
    expect(sql('postgres', 'select datname from pg_database where not datistemplate order by 1')).toBe('app\napp_copy\nmeta\npostgres');
    expect(sql('postgres', "select pg_get_userbyid(datdba), shobj_description(oid, 'pg_database') from pg_database where datname = 'app'")).toBe(
      'dbuser_app|the application database',
    );
    expect(
      sql('postgres', "select has_database_privilege('dbuser_view', 'app', 'CONNECT'), has_database_privilege('dbuser_view', 'app_copy', 'CONNECT')"),
    ).toBe('f|t');
    expect(sql('app', "select nspname || ':' || pg_get_userbyid(nspowner) from pg_namespace where nspname in ('app', 'audit') order by 1")).toBe(
      'app:postgres\naudit:dbuser_app',
    );
    expect(sql('app', "select string_agg(extname, ',' order by extname) from pg_extension where extname in ('pg_trgm', 'btree_gin')")).toBe(
      'btree_gin,pg_trgm',
    );
    // The clone (template app, FILE_COPY) copies the template as provisioned, baseline rows included.
    expect(sql('app', 'select count(*) from app.items')).toBe('2');
    expect(sql('app_copy', 'select count(*) from app.items')).toBe('2');
    expect(results(first, 'skip baselines that are not on the controller (clones, depth 1)')[0]?.status).toBe('ok');
  });

  it('runs pgbouncer on :6432 with the pools, user options and a userlist pgbouncer authenticates against', () => {
    expect(viaPgbouncer('dbuser_app', 'DBUser.App', 'app', 'select current_user, count(*) from app.items')).toBe('dbuser_app|2');
    expect(viaPgbouncer('dbuser_view', 'DBUser.View', 'app_copy', 'select current_user')).toBe('dbuser_view');
    expect(viaPgbouncer('dbuser_app', 'wrong', 'app', 'select 1')).toMatch(/authentication failed/);
    // dbuser_batch has no pgbouncer: true, meta has pgbouncer: false.
    expect(viaPgbouncer('dbuser_batch', 'DBUser.Batch', 'app_copy', 'select 1')).toMatch(/FATAL/);
    expect(sh('cut -d" " -f1 /etc/pgbouncer/userlist.txt | tr "\\n" " "')).toBe(
      '"postgres" "dbuser_app" "dbuser_dba" "dbuser_monitor" "dbuser_view"',
    );
    expect(sh("grep -v '^;' /etc/pgbouncer/database.txt")).toBe(
      'app                         = host=/var/run/postgresql pool_mode=transaction pool_size=20\napp_copy                    = host=/var/run/postgresql',
    );
    expect(sh('grep dbuser_app /etc/pgbouncer/useropts.txt')).toBe('dbuser_app                  = pool_mode=session max_user_connections=12');
    expect(sh('stat -c "%U:%G %a" /etc/pgbouncer/userlist.txt')).toBe('postgres:postgres 600');
    expect(results(first, 'write pgbouncer userlist')[0]?.msg).toBeUndefined();
  });

  it('creates the pgBackRest stanza and takes the first full backup', () => {
    const info = JSON.parse(sh('cd / && runuser -u postgres -- pgbackrest --stanza=pg-x51 --output=json info')) as {
      status: { code: number };
      backup: { type: string }[];
    }[];
    expect(info[0]?.status.code).toBe(0);
    expect(info[0]?.backup.map((b) => b.type)).toEqual(['full']);
    expect(sh('test -f /etc/pgbackrest/initial.done && echo yes')).toBe('yes');
    expect(sh("grep -E '^(repo1-path|pg1-path)=' /etc/pgbackrest/pgbackrest.conf")).toBe(
      'repo1-path=/pg/backup\npg1-path=/var/lib/postgresql/15/main',
    );
  });

  it('writes the crontab, the vip-manager config and the haproxy services', () => {
    expect(sh('crontab -l -u postgres')).toContain('00 01 * * * pgbackrest --stanza=pg-x51 --type=full backup');
    expect(sh('grep -E "^(trigger-key|trigger-value|ip|netmask):" /etc/default/vip-manager.yml')).toBe(
      'trigger-key: "/pg/pg-x51/leader"\ntrigger-value: "pg-x51-1"\nip: 127.0.0.1\nnetmask: 24',
    );
    expect(sh('ls /etc/haproxy/conf.d | tr "\\n" " "')).toBe(
      'pg-x51-default.cfg pg-x51-offline.cfg pg-x51-primary.cfg pg-x51-replica.cfg pg-x51-standby.cfg',
    );
    expect(sh("grep -E '^ +server ' /etc/haproxy/conf.d/pg-x51-primary.cfg")).toBe('server pg-x51-1 10.10.10.51:6432 weight 100 check port 8008');
    expect(sh("grep -E '^ +server ' /etc/haproxy/conf.d/pg-x51-replica.cfg")).toBe(
      'server pg-x51-1 10.10.10.51:6432 backup weight 100 check port 8008',
    );
    expect(sh('grep default-server /etc/haproxy/conf.d/pg-x51-default.cfg')).toContain(
      'default-server inter 2s fastinter 1s downinter 2s rise 3 fall 3',
    );
    expect(sh('ss -Hltn | grep -oE ":(5433|5434|5435|5436|5438) " | sort | tr -d "\\n"')).toBe(':5433 :5434 :5435 :5436 :5438');
  });

  it('changes nothing on a re-run (equal passwords are not set again)', async () => {
    const again = await runEntry(PLAYBOOK, ['-i', INVENTORY, '--json']);
    console.log(`no-op run on x51: ${(recap(again) as unknown as { duration_ms: number }).duration_ms} ms`);
    expect(recap(again).exit_code).toBe(0);
    expect(changedCount(again), again.stdout.slice(-3000)).toBe(0);
    expect(statusOf(again, 'pgsql : create or update users')).toEqual(['ok']);
  });

  it('reports no change in check mode', async () => {
    const check = await runEntry(PLAYBOOK, ['-i', INVENTORY, '--json', '--check']);
    expect(recap(check).exit_code).toBe(0);
    expect(changedCount(check), check.stdout.slice(-3000)).toBe(0);
  });

  it('makes the reloads an earlier run owed: pgbouncer rules and haproxy services in force', async () => {
    const standby = {
      name: 'standby',
      port: 5435,
      dest: 'postgres',
      check: '/replica',
      selector: '[? pg_role == `replica` ]',
      backup: '[? pg_role == `primary` ]',
    };
    const extra = JSON.stringify({
      pgb_hba_rules: [{ user: 'dbuser_view', db: 'all', addr: 'world', auth: 'deny', title: 'no view user through pgbouncer', order: 120 }],
      pg_services: [standby, { name: 'late', port: 5439, dest: 'postgres', check: '/primary', selector: '[]' }],
    });
    const listening = () => sh('ss -Hltn | grep -c ":5439 " || true');
    // A run that writes the files but never reloads (as one interrupted or failed before its reloads would).
    const lost = await runEntry(PLAYBOOK, ['-i', INVENTORY, '--json', '-t', 'pgsql', '-e', extra, '-e', 'pg_reload=false']);
    expect(recap(lost).exit_code, lost.stdout.slice(-2000)).toBe(0);
    expect(sh('grep -c dbuser_view /etc/pgbouncer/pgb_hba.conf; test -f /etc/haproxy/conf.d/pg-x51-late.cfg && echo written')).toBe('2\nwritten');
    expect(viaPgbouncer('dbuser_view', 'DBUser.View', 'app_copy', 'select current_user')).toBe('dbuser_view');
    expect(listening()).toBe('0');

    // Nothing to write any more: the reloads owed are what a dry run reports and what the next run makes.
    const check = await runEntry(PLAYBOOK, ['-i', INVENTORY, '--json', '--check', '-e', extra]);
    const changedTasks = (run: Run) =>
      [
        ...new Set(
          results(run)
            .filter((e) => e.status === 'changed')
            .map((e) => String(e.task)),
        ),
      ].sort();
    expect(changedTasks(check)).toEqual(expect.arrayContaining(['haproxy : reload haproxy', 'pgsql : reload pgbouncer']));
    const next = await runEntry(PLAYBOOK, ['-i', INVENTORY, '--json', '-e', extra]);
    expect(recap(next).exit_code, next.stdout.slice(-2000)).toBe(0);
    expect(changedTasks(next)).toEqual(['haproxy : reload haproxy', 'pgsql : reload pgbouncer']);
    expect(viaPgbouncer('dbuser_view', 'DBUser.View', 'app_copy', 'select current_user')).toMatch(/rejected|FATAL/);
    expect(listening()).toBe('1');

    const restored = await runEntry(PLAYBOOK, ['-i', INVENTORY, '--json']);
    expect(recap(restored).exit_code, restored.stdout.slice(-2000)).toBe(0);
    expect(viaPgbouncer('dbuser_view', 'DBUser.View', 'app_copy', 'select current_user')).toBe('dbuser_view');
    expect(listening()).toBe('0');
  });

  it('pgsql-user adds one user and lets pgbouncer authenticate it; pgsql-db adds one database to the pools', async () => {
    const users = JSON.stringify({ pg_users: [{ name: 'dbuser_new', password: 'DBUser.New', pgbouncer: true, roles: ['dbrole_readonly'] }] });
    const missing = await runEntry('pgsql-user.ts', ['-i', INVENTORY, '--json', '-e', 'username=dbuser_nobody']);
    expect(missing.code).toBe(2);
    const user = await runEntry('pgsql-user.ts', ['-i', INVENTORY, '--json', '-e', users, '-e', 'username=dbuser_new']);
    expect(recap(user).exit_code, user.stdout.slice(-2000)).toBe(0);
    expect(viaPgbouncer('dbuser_new', 'DBUser.New', 'app_copy', 'select current_user')).toBe('dbuser_new');

    const dbs = JSON.stringify({ pg_databases: [{ name: 'app' }, { name: 'app_copy' }, { name: 'extra', owner: 'dbuser_new' }] });
    const db = await runEntry('pgsql-db.ts', ['-i', INVENTORY, '--json', '-e', dbs, '-e', 'dbname=extra']);
    expect(recap(db).exit_code, db.stdout.slice(-2000)).toBe(0);
    expect(sql('postgres', "select pg_get_userbyid(datdba) from pg_database where datname = 'extra'")).toBe('dbuser_new');
    expect(viaPgbouncer('dbuser_new', 'DBUser.New', 'extra', 'select current_database()')).toBe('extra');
  });

  it('drops a database only as asked: pg_safeguard, sessions in use, and recreate left to pgsql-db', async () => {
    const oid = () => sql('postgres', "select oid from pg_database where datname = 'app_copy'");
    const before = oid();
    // An entry left at state recreate in the inventory: the pgsql role keeps the database.
    const inventory = parse(readFileSync(join(ROOT, INVENTORY), 'utf8')) as {
      all: { children: Record<string, { vars: { pg_databases: { name: string }[] } }> };
    };
    const dbs = inventory.all.children['pg-x51']!.vars.pg_databases.map((d) => (d.name === 'app_copy' ? { ...d, state: 'recreate' } : d));
    const deploy = await runEntry(PLAYBOOK, ['-i', INVENTORY, '--json', '-t', 'pg_db', '-e', JSON.stringify({ pg_databases: dbs })]);
    expect(recap(deploy).exit_code, deploy.stdout.slice(-2000)).toBe(0);
    expect(oid()).toBe(before);
    expect(String(results(deploy, 'leave databases at state recreate to pgsql-db')[0]?.summary ?? '')).toContain('app_copy');

    const recreate = JSON.stringify({ pg_databases: [{ name: 'app_copy', state: 'recreate', owner: 'dbuser_app' }] });
    const gone = JSON.stringify({ pg_databases: [{ name: 'app_copy', state: 'absent' }] });
    const failure = (run: Run) =>
      String(
        results(run, 'create or update databases')
          .concat(results(run, 'drop absent databases'))
          .find((e) => e.status === 'failed')?.msg ?? '',
      );
    const guarded = await runEntry('pgsql-db.ts', [
      '-i',
      INVENTORY,
      '--json',
      '-e',
      recreate,
      '-e',
      'dbname=app_copy',
      '-e',
      'pg_safeguard=true',
      '-e',
      'dbforce=true',
    ]);
    expect(guarded.code).toBe(2);
    expect(failure(guarded)).toContain('pg_safeguard is on: database app_copy is not recreated');
    const guardedDrop = await runEntry('pgsql-db.ts', ['-i', INVENTORY, '--json', '-e', gone, '-e', 'dbname=app_copy', '-e', 'pg_safeguard=true']);
    expect(guardedDrop.code).toBe(2);
    expect(failure(guardedDrop)).toContain('pg_safeguard is on: database app_copy is not dropped');

    // A session holds the database: recreate is refused until forced, which terminates it.
    sh("cd / && (runuser -u postgres -- psql -X -d app_copy -c 'select pg_sleep(120)' >/dev/null 2>&1 &) ; sleep 1");
    const busy = await runEntry('pgsql-db.ts', ['-i', INVENTORY, '--json', '-e', recreate, '-e', 'dbname=app_copy']);
    expect(busy.code).toBe(2);
    expect(failure(busy)).toMatch(/database app_copy has \d+ connected sessions?: not recreated while in use/);
    expect(oid()).toBe(before);
    const forced = await runEntry('pgsql-db.ts', ['-i', INVENTORY, '--json', '-e', recreate, '-e', 'dbname=app_copy', '-e', 'dbforce=true']);
    expect(recap(forced).exit_code, forced.stdout.slice(-2000)).toBe(0);
    expect(oid()).not.toBe(before);
  });

  it('pgsql-rm refuses under pg_safeguard, whatever tasks are selected, then removes access, backups and data', async () => {
    const guarded = await runEntry('pgsql-rm.ts', ['-i', INVENTORY, '-l', 'pg-x51', '--json', '-e', 'pg_safeguard=true']);
    expect(guarded.code).toBe(2);
    // The safeguard is a guard: skipping its tags or starting past it still runs it first.
    const skipped = await runEntry('pgsql-rm.ts', [
      '-i',
      INVENTORY,
      '-l',
      'pg-x51',
      '--json',
      '-e',
      'pg_safeguard=true',
      '--skip-tags',
      'pg_safeguard,always',
      '--start-at-task',
      'remove postgres data',
    ]);
    expect(skipped.code).toBe(2);
    expect(statusOf(skipped, 'pg_remove : abort when pg_safeguard is on')).toEqual(['failed']);
    expect(statusOf(skipped, 'pg_remove : remove postgres data')).toEqual([]);
    expect(sh('systemctl is-active pgbouncer')).toBe('active');

    const removed = await runEntry('pgsql-rm.ts', ['-i', INVENTORY, '-l', 'pg-x51', '--json', '-e', 'pg_rm_pkg=false']);
    expect(recap(removed).exit_code, removed.stdout.slice(-2000)).toBe(0);
    expect(sh('systemctl is-active pgbouncer')).not.toBe('active');
    expect(
      sh(
        'ls /etc/haproxy/conf.d | wc -l; test -e /etc/pgbouncer || echo gone; test -e /pg/backup || echo gone; test -e /var/lib/postgresql/15/main || echo gone',
      ),
    ).toBe('0\ngone\ngone\ngone');
    expect(sh('systemctl is-active haproxy')).toBe('active');
  });
});
