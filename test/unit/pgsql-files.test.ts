import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { shq } from '../../engine/shell-quote.ts';
import { renderTemplate } from '../../modules/template.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';
import { patroniConf } from '../../roles/pgsql/patroni-conf.ts';
import { PG_DEFAULT_ROLES } from '../../roles/pgsql/defaults.ts';
import { autoConf, clusterDir, dbsuSudoCommands, dbsuUid, pgHome, pgpassLine, pgpassRegexp, pgRoleArgs } from '../../roles/pgsql/paths.ts';
import type { RoleVars } from '../../roles/vars.ts';

const template = (name: string): string => fileURLToPath(new URL(`../../roles/pgsql/templates/${name}`, import.meta.url));

const vars = {
  ...PARAM_DEFAULTS,
  inventory_hostname: '10.10.10.11',
  groups: { etcd: ['10.10.10.10'], infra: ['10.10.10.10'] },
  hostvars: {},
  admin_ip: '10.10.10.10',
  pg_cluster: 'pg-test',
  pg_seq: 1,
  pg_role: 'primary',
  pg_instance: 'pg-test-1',
  pg_shard: 'pg-test',
  pg_group: 0,
  pg_mode: 'pgsql',
  pg_cluster_members: ['10.10.10.11', '10.10.10.12'],
  node_cpu: 2,
  node_mem_mb: 4096,
  node_mem_gb: 4,
  os_package: 'deb',
  os_version: 12,
  pg_version: 15,
  pg_replication_password: 'Repl"Pass\'word',
} as unknown as RoleVars;

describe('patroni.yml template', () => {
  const render = (over: Partial<RoleVars> = {}) => {
    const v = { ...vars, ...over } as RoleVars;
    return YAML.parse(renderTemplate(template('patroni.yml.hbs'), { ...v, conf: patroniConf(v, 100 * 1024 ** 3) })) as Record<
      string,
      Record<string, unknown>
    >;
  };

  it('renders a Patroni config that parses, with identity, DCS, REST API and passwords intact', () => {
    const conf = render();
    expect([conf.namespace, conf.scope, conf.name]).toEqual(['/pg/', 'pg-test', 'pg-test-1']);
    expect(conf.etcd3).toMatchObject({
      hosts: '10.10.10.10:2379',
      protocol: 'https',
      username: 'pg-test',
      password: 'pg-test',
      cacert: '/pg/cert/ca.crt',
    });
    expect(conf.restapi).toMatchObject({ listen: '10.10.10.11:8008', authentication: { username: 'postgres', password: 'Patroni.API' } });
    expect(conf.restapi?.allowlist).toEqual(['10.10.10.10', '10.10.10.11', '10.10.10.12']);
    expect(conf.watchdog?.mode).toBe('off');
    const pg = conf.postgresql as Record<string, unknown> & { authentication: Record<string, { username: string; password?: string }> };
    expect(pg.listen).toBe('0.0.0.0:5432');
    expect(pg.authentication.replication).toEqual({ username: 'replicator', password: 'Repl"Pass\'word' });
    expect(pg.authentication.superuser).toEqual({ username: 'postgres' });
    expect(pg.create_replica_methods).toEqual(['basebackup']);
  });

  it('quotes an inventory value that carries YAML syntax, so it adds no key (pg_namespace with a newline or U+2028)', () => {
    const text = (over: Partial<RoleVars>) => {
      const v = { ...vars, ...over } as RoleVars;
      return renderTemplate(template('patroni.yml.hbs'), { ...v, conf: patroniConf(v, 100 * 1024 ** 3) });
    };
    const injected = '/pg\nstandby_cluster: {host: 6.6.6.6, port: 5432}\nbootstrap:\n#';
    const newline = text({ pg_namespace: injected } as Partial<RoleVars>);
    expect(newline).toContain('\nnamespace: "/pg\\nstandby_cluster: {host: 6.6.6.6, port: 5432}\\nbootstrap:\\n#/"\n');
    const conf = YAML.parse(newline, { version: '1.1' }) as Record<string, unknown>;
    expect(conf.namespace).toBe(`${injected}/`);
    expect(conf.standby_cluster).toBeUndefined();
    expect(conf.bootstrap).toMatchObject({ method: 'initdb' });
    const ls = text({ pg_namespace: '/pg\u2028standby_cluster: {host: 6.6.6.6}\u2028bootstrap:\u2028#' } as Partial<RoleVars>);
    expect(ls).toContain('\nnamespace: "/pg\\u2028standby_cluster: {host: 6.6.6.6}\\u2028bootstrap:\\u2028#/"\n');
    expect(ls).not.toMatch(/[\u0085\u2028\u2029]/);
  });

  it('writes locale, upstream, listen and allow-list values as scalars that read back unchanged', () => {
    const v = {
      ...vars,
      pg_locale: 'x\nbootstrap: {}',
      pg_upstream: '1.2.3.4\nrestapi: {}',
      pg_listen: 'a: b',
      groups: { etcd: ["10.0.0.1'"], infra: ['h, evil]'] },
    } as unknown as RoleVars;
    const conf = YAML.parse(renderTemplate(template('patroni.yml.hbs'), { ...v, conf: patroniConf(v, 100 * 1024 ** 3) })) as Record<
      string,
      Record<string, unknown>
    >;
    expect((conf.bootstrap as { initdb: unknown[] }).initdb).toContainEqual({ locale: 'x\nbootstrap: {}' });
    expect(conf.tags?.replicatefrom).toBe('1.2.3.4\nrestapi: {}');
    expect((conf.postgresql as { listen: string }).listen).toBe('a: b:5432');
    expect(conf.etcd3?.hosts).toBe("10.0.0.1':2379");
    expect(conf.restapi?.allowlist).toEqual(['10.10.10.10', '10.10.10.11', '10.10.10.12', 'h, evil]']);
  });

  it('carries RTO timings and the profile parameters into the bootstrap DCS section', () => {
    const dcs = (render().bootstrap as { dcs: Record<string, unknown> & { postgresql: { parameters: Record<string, unknown> } } }).dcs;
    expect([dcs.ttl, dcs.loop_wait, dcs.retry_timeout, dcs.primary_start_timeout, dcs.maximum_lag_on_failover, dcs.synchronous_mode]).toEqual([
      30,
      5,
      10,
      25,
      1048576,
      false,
    ]);
    expect(dcs.postgresql.parameters).toMatchObject({
      max_connections: 500,
      shared_buffers: '1024MB',
      ssl: 'on',
      wal_level: 'logical',
      shared_preload_libraries: 'pg_stat_statements, auto_explain',
    });
    expect((render({ pg_rto: 'fast', pg_conf: 'crit.yml' }).bootstrap as { dcs: Record<string, unknown> }).dcs).toMatchObject({
      ttl: 20,
      synchronous_mode: true,
      synchronous_mode_strict: true,
    });
  });

  it('adds the standby cluster for a primary with an upstream, and the password of the dbsu when set', () => {
    const standby = render({ pg_upstream: '10.10.10.99', pg_delay: '1h', pg_dbsu_password: 'DBSU' });
    expect((standby.bootstrap as { dcs: Record<string, unknown> }).dcs.standby_cluster).toEqual({
      host: '10.10.10.99',
      port: 5432,
      recovery_min_apply_delay: '1h',
      create_replica_methods: ['basebackup'],
    });
    expect(standby.tags?.replicatefrom).toBe('10.10.10.99');
    expect((standby.postgresql as { authentication: { superuser: unknown } }).authentication.superuser).toEqual({
      username: 'postgres',
      password: 'DBSU',
    });
    expect((render().bootstrap as { dcs: Record<string, unknown> }).dcs.standby_cluster).toBeUndefined();
  });
});

describe('install helpers', () => {
  it('finds the PostgreSQL home by distro, or by pg_home_map', () => {
    expect(pgHome(vars)).toBe('/usr/lib/postgresql/15');
    expect(pgHome({ ...vars, os_package: 'rpm' } as RoleVars)).toBe('/usr/pgsql-15');
    expect(pgHome({ ...vars, pg_home_map: { pgsql: '/opt/pg/${pg_version}' } } as RoleVars)).toBe('/opt/pg/15');
    expect(clusterDir(vars)).toBe('/data/postgres/pg-test-15');
  });

  it('gives the dbsu uid 543 on Debian unless the inventory chose one', () => {
    expect(dbsuUid(vars)).toBe(543);
    expect(dbsuUid({ ...vars, os_package: 'rpm' } as RoleVars)).toBe(26);
    expect(dbsuUid({ ...vars, pg_dbsu_uid: 700 } as RoleVars)).toBe(700);
  });

  it('limits dbsu sudo to the PostgreSQL services', () => {
    const commands = dbsuSudoCommands('postgres');
    expect(commands).toContain('/bin/systemctl restart patroni');
    expect(commands).toContain('/bin/systemctl reload haproxy');
    expect(commands).toContain('/bin/systemctl restart prometheus-pgbouncer-exporter');
    expect(commands).not.toContain('/bin/systemctl restart haproxy');
  });
});

describe('postgresql.auto.conf and pgpass', () => {
  it('quotes values except list settings', () => {
    expect(autoConf({ work_mem: '64MB', search_path: '"$user", public', application_name: "it's" })).toBe(
      "# Managed by the pgsql role from pg_parameters: do not edit, and do not use ALTER SYSTEM.\nwork_mem = '64MB'\nsearch_path = \"$user\", public\napplication_name = 'it''s'\n",
    );
    expect(autoConf({}).split('\n')).toHaveLength(2);
    expect(() => autoConf({ 'work_mem\nlisten_addresses': '*' })).toThrow('pg_parameters: "work_mem\\nlisten_addresses" is not a parameter name');
    expect(() => autoConf({ search_path: "public\nlisten_addresses = '*'" })).toThrow('pg_parameters: the value of search_path is not a single line');
    expect(autoConf({ 'pg_stat_statements.max': 5000 })).toContain("pg_stat_statements.max = '5000'");
  });

  it('escapes pgpass fields and finds a user line by its name', () => {
    expect(pgpassLine('dbuser_dba', 'a:b\\c')).toBe('*:*:*:dbuser_dba:a\\:b\\\\c');
    expect(new RegExp(pgpassRegexp('db.user')).test('*:*:*:db.user:x')).toBe(true);
    expect(new RegExp(pgpassRegexp('db.user')).test('*:*:*:dbxuser:x')).toBe(false);
  });
});

describe('pg_role arguments', () => {
  const byName = (name: string) => PG_DEFAULT_ROLES.find((r) => r.name === name) ?? { name };

  it('drops the pgbouncer fields and takes system passwords from their parameters', () => {
    const dba = pgRoleArgs(byName('dbuser_dba'), vars);
    expect(dba).toEqual({
      name: 'dbuser_dba',
      superuser: true,
      roles: ['dbrole_admin'],
      comment: 'pgsql admin user',
      password: 'DBUser.DBA',
      password_encryption: 'scram-sha-256',
      port: 5432,
    });
    expect(pgRoleArgs(byName('replicator'), vars).password).toBe('Repl"Pass\'word');
    expect(pgRoleArgs(byName('dbrole_readonly'), vars)).not.toHaveProperty('password');
    expect(pgRoleArgs({ name: 'app', password: 'own' }, vars).password).toBe('own');
  });

  it('points the monitor user at the monitor schema, keeping its own settings', () => {
    expect(pgRoleArgs(byName('dbuser_monitor'), vars).parameters).toEqual({ search_path: 'monitor,public', log_min_duration_statement: 1000 });
  });
});

describe('login shell files in /etc/profile.d', () => {
  // Every login shell, root's included, sources these: an inventory or -e value must stay one literal word.
  const hostile = {
    pg_bin_dir: '/usr/pgsql/bin$(touch PWNED)',
    pg_home_link: '/usr/pgsql`touch PWNED`',
    pg_data: "/pg/data';touch PWNED;'",
    pg_log_dir: '/pg/log "x" $HOME',
    pg_port: 5432,
    pg_primary_db: 'postgres;touch PWNED',
    pg_instance: 'pg-test-1',
  };
  it('pgsql.sh and pg-alias.sh hand every value to the shell as one literal word', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-'));
    try {
      for (const name of ['pgsql.sh', 'pg-alias.sh']) writeFileSync(join(dir, name), renderTemplate(template(`${name}.hbs`), hostile));
      const script =
        '. ./pgsql.sh; . ./pg-alias.sh; printf "%s\\n" "$PGHOME" "$PGDATA" "$PGPORT" "$PGDATABASE" "${PATH%%:*}" "${BASH_ALIASES[pg-d]}" "${BASH_ALIASES[pg-log]}" "${BASH_ALIASES[pg-reload]}"';
      const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' } });
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')).toEqual([
        hostile.pg_home_link,
        hostile.pg_data,
        '5432',
        hostile.pg_primary_db,
        hostile.pg_bin_dir,
        `cd ${shq(hostile.pg_data)}`,
        `cd ${shq(hostile.pg_log_dir)}`,
        `pg_ctl -D ${shq(hostile.pg_data)} reload`,
        '',
      ]);
      expect(existsSync(join(dir, 'PWNED'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
