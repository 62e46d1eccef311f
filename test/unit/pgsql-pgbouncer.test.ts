import { describe, expect, it } from 'vitest';
import { renderTemplate, templatePath } from '../../modules/template.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';
import { listenAddress } from '../../roles/pgsql/listen-address.ts';
import {
  databaseLines,
  missingUsers,
  pgbouncerTemplateVars,
  renderUserlist,
  userlistNames,
  userlistQuery,
  userOptionLines,
  type PgbouncerVars,
} from '../../roles/pgsql/pgbouncer-files.ts';

const tpl = (name: string): string => templatePath(new URL('../../roles/pgsql/role.ts', import.meta.url).href, name);

const base: PgbouncerVars = {
  ...PARAM_DEFAULTS,
  inventory_hostname: '10.10.10.11',
  pg_instance: 'pg-test-1',
  pg_users: [
    { name: 'dbuser_app', password: 'x', pgbouncer: true, pool_mode: 'session', pool_connlimit: 12 },
    { name: 'dbuser_view', pgbouncer: true, pool_connlimit: 3 },
    { name: 'dbuser_etl', pgbouncer: false, pool_mode: 'statement' },
    { name: 'dbuser_gone', state: 'absent', pgbouncer: true, pool_mode: 'session' },
  ],
  pg_databases: [
    { name: 'app', pool_auth_user: 'dbuser_meta', pool_mode: 'session', pool_size: 20, pool_size_min: 2, pool_reserve: 5, pool_connlimit: 40 },
    { name: 'plain' },
    { name: 'hidden', pgbouncer: false },
    { name: 'dropped', state: 'absent' },
  ],
};

describe('pgbouncer listen address', () => {
  it('expands ${ip} and ${lo}, and ${vip} only for a real enabled VIP', () => {
    expect(listenAddress(base)).toBe('0.0.0.0');
    expect(listenAddress({ ...base, pg_listen: '${ip},${lo}' })).toBe('10.10.10.11,127.0.0.1');
    expect(
      listenAddress({ ...base, inventory_hostname: 'h', pg_listen: '${ip},${vip}', pg_vip_enabled: true, pg_vip_address: '10.10.10.3/24' }),
    ).toBe('h,10.10.10.3');
    expect(listenAddress({ ...base, inventory_hostname: 'h', pg_listen: '${vip}', pg_vip_enabled: false, pg_vip_address: '10.10.10.3/24' })).toBe(
      '${vip}',
    );
    expect(listenAddress({ ...base, inventory_hostname: 'h', pg_listen: '${vip}', pg_vip_enabled: true, pg_vip_address: '127.0.0.1/24' })).toBe(
      '${vip}',
    );
  });
});

describe('pgbouncer database list and user options', () => {
  it('lists pooled databases with their pool options, leaving out pgbouncer: false and absent ones', () => {
    expect(databaseLines(base)).toEqual([
      'app                         = host=/var/run/postgresql auth_user=dbuser_meta pool_mode=session pool_size=20 min_pool_size=2 reserve_pool=5 max_db_connections=40',
      'plain                       = host=/var/run/postgresql',
    ]);
  });

  it('sends the pools to pgbouncer_redirect_to, else pg_localhost', () => {
    expect(databaseLines({ ...base, pg_databases: [{ name: 'x' }], pgbouncer_redirect_to: '10.10.10.10' })).toEqual([
      'x                           = host=10.10.10.10',
    ]);
    expect(databaseLines({ ...base, pg_databases: [{ name: 'x' }], pg_localhost: '/tmp' })).toEqual(['x                           = host=/tmp']);
  });

  it('gives per-user pool_mode and max_user_connections from default roles and users, skipping absent users', () => {
    expect(userOptionLines(base)).toEqual([
      'dbuser_dba                  = pool_mode=session max_user_connections=16',
      'dbuser_monitor              = pool_mode=session max_user_connections=8',
      'dbuser_app                  = pool_mode=session max_user_connections=12',
      'dbuser_view                 = max_user_connections=3',
      'dbuser_etl                  = pool_mode=statement',
    ]);
  });
});

describe('pgbouncer userlist', () => {
  it('has the dbsu, monitor, admin and pgbouncer: true users that are not absent', () => {
    expect(userlistNames(base)).toEqual({ dbsu: 'postgres', users: ['dbuser_monitor', 'dbuser_dba', 'dbuser_app', 'dbuser_view'] });
    expect(userlistNames({ ...base, pgbouncer_auth_query: true })).toEqual({ dbsu: 'postgres', users: ['dbuser_monitor', 'dbuser_dba'] });
    expect(userlistNames({ ...base, pg_users: [], pg_monitor_username: 'mon', pg_admin_username: 'mon', pg_dbsu: 'pg' })).toEqual({
      dbsu: 'pg',
      users: ['mon'],
    });
  });

  it('reads the secrets with one query, quoting names', () => {
    expect(userlistQuery(['a', "o'b"])).toBe(
      "SELECT rolname, coalesce(rolpassword, '') AS rolpassword FROM pg_authid WHERE rolname IN ('a', 'o''b') ORDER BY rolname",
    );
    expect(userlistQuery([])).toContain("IN ('')");
  });

  it('writes the dbsu with an empty secret, then the users found by name, quotes doubled', () => {
    const rows = [
      { rolname: 'dbuser_view', rolpassword: 'SCRAM-SHA-256$4096:abc' },
      { rolname: 'dbuser_app', rolpassword: 'md5"x' },
      { rolname: 'dbuser_dba', rolpassword: null },
    ];
    expect(renderUserlist('postgres', ['dbuser_view', 'dbuser_app', 'dbuser_dba', 'dbuser_monitor'], rows)).toBe(
      '"postgres" ""\n"dbuser_app" "md5""x"\n"dbuser_dba" ""\n"dbuser_view" "SCRAM-SHA-256$4096:abc"\n',
    );
    expect(missingUsers(['dbuser_view', 'dbuser_monitor'], rows)).toEqual(['dbuser_monitor']);
  });
});

describe('pgbouncer templates', () => {
  const vars = {
    inventory_hostname: base.inventory_hostname,
    pgb: pgbouncerTemplateVars({ ...base, pgbouncer_port: 6543, pg_admin_username: 'dba' }),
  };

  it('renders pgbouncer.ini with the includes, listen address, admins, HBA auth and pool defaults', () => {
    const ini = renderTemplate(tpl('pgb-ini.hbs'), vars);
    for (const line of [
      '[users]\n%include /etc/pgbouncer/useropts.txt',
      '[databases]\n%include /etc/pgbouncer/database.txt',
      'listen_addr                 = 0.0.0.0',
      'listen_port                 = 6543',
      'admin_users                 = postgres, dba',
      'stats_users                 = postgres, dbuser_monitor',
      'auth_type                   = hba',
      'auth_hba_file               = /etc/pgbouncer/pgb_hba.conf',
      'pool_mode                   = transaction',
      'max_client_conn             = 20000',
      'default_pool_size           = 50',
      'client_tls_sslmode          = disable',
      'ignore_startup_parameters   = extra_float_digits, application_name, TimeZone, DateStyle, IntervalStyle, search_path',
      'logfile                     = /pg/log/pgbouncer/pgbouncer.log',
    ]) {
      expect(ini).toContain(line);
    }
    expect(ini).not.toContain('auth_query');
  });

  it('adds auth_query through the monitor schema when pgbouncer_auth_query is on', () => {
    const ini = renderTemplate(tpl('pgb-ini.hbs'), { ...vars, pgb: pgbouncerTemplateVars({ ...base, pgbouncer_auth_query: true }) });
    expect(ini).toContain(
      'auth_user                   = postgres\nauth_query                  = SELECT username, password FROM monitor.pgbouncer_auth($1)',
    );
  });

  it('renders database.txt, useropts.txt and the unit', () => {
    expect(
      renderTemplate(tpl('pgb-database.hbs'), vars)
        .split('\n')
        .filter((l) => l && !l.startsWith(';')),
    ).toEqual(databaseLines(base));
    expect(
      renderTemplate(tpl('pgb-useropts.hbs'), vars)
        .split('\n')
        .filter((l) => l && !l.startsWith(';')),
    ).toEqual(userOptionLines(base));
    const unit = renderTemplate(tpl('pgb-unit.hbs'), vars);
    expect(unit).toContain('ExecStart=/usr/sbin/pgbouncer /etc/pgbouncer/pgbouncer.ini\nExecReload=/bin/kill -HUP $MAINPID');
    expect(unit).toContain('User=postgres\nGroup=postgres');
    expect(renderTemplate(tpl('pgb-unit.hbs'), { ...vars, pgb: pgbouncerTemplateVars({ ...base, os_package: 'rpm' }) })).toContain(
      'ExecStart=/usr/bin/pgbouncer ',
    );
  });
});

describe('pgbouncer list values that would add a line', () => {
  it('refuses a database, pool_auth_user or user name that is not one name, and a host with a space', () => {
    expect(() => databaseLines({ ...base, pg_databases: [{ name: 'app\n* = host=10.0.0.1' }] })).toThrow(
      'pgbouncer: database "app\\n* = host=10.0.0.1" cannot be written to its list file',
    );
    expect(() => databaseLines({ ...base, pg_databases: [{ name: 'app', pool_auth_user: 'u\nv' }] })).toThrow(/pool_auth_user "u\\nv"/);
    expect(() => databaseLines({ ...base, pgbouncer_redirect_to: '10.0.0.1 port=1' })).toThrow(
      'pgbouncer: host "10.0.0.1 port=1" must be one word without spaces or control characters',
    );
    expect(() => userOptionLines({ ...base, pg_users: [{ name: 'u\nv = pool_mode=session', pool_mode: 'session' }] })).toThrow(
      /pgbouncer: user "u\\nv = pool_mode=session"/,
    );
  });
});
