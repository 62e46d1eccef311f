import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../engine/inventory.ts';
import { Masker } from '../../engine/output/mask.ts';
import { validateInventory } from '../../engine/validate.ts';
import { checks } from '../../roles/checks.ts';
import { PigstyParams } from '../../roles/params.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';
import { pgbouncerExporterEnv, pgbouncerExporterUrl, pgExporterEnv, pgExporterUrl } from '../../roles/pg_monitor/exporter-env.ts';

const v = { ...PARAM_DEFAULTS, pg_monitor_password: 'DBUser.Monitor' };

/** The value of NAME in a systemd EnvironmentFile, its double quotes and backslash escapes undone as systemd does. */
const envValue = (file: string, name: string): string => {
  const line = file.split('\n').find((l) => l.startsWith(`${name}=`)) as string;
  return line.slice(name.length + 2, -1).replace(/\\(.)/g, '$1');
};

describe('postgres_exporter connection and options', () => {
  it("connects as the monitor user through the local socket, Pigsty's DSN with the timeout in whole seconds", () => {
    expect(pgExporterUrl(v)).toBe(
      'postgresql://dbuser_monitor:DBUser.Monitor@:5432/postgres?host=/var/run/postgresql&sslmode=disable&connect_timeout=1',
    );
    expect(pgExporterUrl({ ...v, pg_exporter_connect_timeout: 2500, pg_exporter_params: '' })).toMatch(
      /\?host=\/var\/run\/postgresql&connect_timeout=3$/,
    );
  });

  it('percent-encodes every character of the password a URI or the env file would read otherwise', () => {
    const url = pgExporterUrl({ ...v, pg_monitor_password: `p@ss:w/o?r&d%'"$\`\\ é` });
    expect(url).toContain('dbuser_monitor:p%40ss%3Aw%2Fo%3Fr%26d%25%27%22%24%60%5C%20%C3%A9@:5432/');
    expect(decodeURIComponent(/:([^:@]*)@/.exec(url)?.[1] ?? '')).toBe(`p@ss:w/o?r&d%'"$\`\\ é`);
  });

  it('takes pg_exporter_url when set, as postgresql:// (with database discovery, 0.11 skips a postgres:// URL)', () => {
    expect(pgExporterUrl({ ...v, pg_exporter_url: 'postgres://m:x@10.10.10.11:5432/postgres' })).toBe('postgresql://m:x@10.10.10.11:5432/postgres');
    expect(pgExporterUrl({ ...v, pg_exporter_url: 'postgresql://m:x@h/postgres' })).toBe('postgresql://m:x@h/postgres');
  });

  it('refuses, before any host, a monitor password with whitespace unless pg_exporter_url gives the connection', () => {
    const errors = (extra: string, extraVars = {}) =>
      validateInventory(
        parseInventory(
          `all:\n  hosts:\n    a.invalid: { pg_cluster: pg-x, pg_seq: 1, pg_role: primary${extra} }\n  vars: { admin_ip: 10.10.10.10 }\n`,
          'inv.yml',
        ),
        { schema: PigstyParams, checks, extraVars },
      ).errors.map((e) => e.describe());
    const spaced = errors(", pg_monitor_password: 'Mon itor'");
    expect(spaced).toHaveLength(1);
    expect(spaced[0]).toMatch(/pg_monitor_password has whitespace/);
    expect(spaced[0]).not.toMatch(/Mon itor/);
    expect(errors('', { pg_monitor_password: 'a b' })).toHaveLength(1);
    expect(errors(", pg_monitor_password: 'Mon itor', pg_exporter_url: 'postgresql://m:x@h/postgres'")).toEqual([]);
    expect(errors(", pg_monitor_password: 'Mon itor', pg_exporter_enabled: false")).toEqual([]);
  });

  it('refuses a % in an exporter URL that is not a %XX escape', () => {
    const errors = (url: string) =>
      validateInventory(
        parseInventory(`all:\n  hosts: { a.invalid: {} }\n  vars: { admin_ip: 10.10.10.10, pg_exporter_url: '${url}' }\n`, 'inv.yml'),
        {
          schema: PigstyParams,
          checks,
        },
      ).errors.length;
    expect(errors('postgresql://m:50%off@h/postgres')).toBe(1);
    expect(errors('postgresql://m:50%25off@h/postgres')).toBe(0);
  });

  it("passes Pigsty's port, path, queries and database discovery to Debian's unit as $ARGS", () => {
    const env = pgExporterEnv({ ...v, pg_exporter_options: '--log.level=warn' });
    expect(envValue(env, 'ARGS')).toBe(
      '--web.listen-address=:9630 --web.telemetry-path=/metrics --extend.query-path=/etc/prometheus-postgres-exporter/queries.yml ' +
        '--auto-discover-databases --exclude-databases=template0,template1,postgres --log.level=warn',
    );
    expect(envValue(pgExporterEnv({ ...v, pg_exporter_auto_discovery: false }), 'ARGS')).not.toMatch(/databases/);
    expect(envValue(env, 'DATA_SOURCE_NAME')).toBe(pgExporterUrl(v));
  });

  it('shows no password when the env file is printed through the output masker', () => {
    const masker = new Masker();
    masker.collect({ pg_monitor_password: 'Sec$ret"pw' });
    const shown = masker.mask(pgExporterEnv({ ...v, pg_monitor_password: 'Sec$ret"pw' }));
    expect(shown).not.toMatch(/Sec|ret|%22pw/);
    expect(shown).toContain('postgresql://dbuser_monitor:********@:5432/postgres');
  });

  it('masks a password given as a URI parameter of pg_exporter_url or pg_exporter_params', () => {
    const masker = new Masker();
    const url = 'postgresql:///postgres?host=/run/postgresql&user=m&password=S3cretPw';
    masker.collect({ pg_exporter_url: url, pg_exporter_params: 'sslpassword=K3yPass&sslmode=require' });
    const shown = masker.mask(
      pgExporterEnv({ ...v, pg_exporter_url: url }) + pgExporterEnv({ ...v, pg_exporter_params: 'sslpassword=K3yPass&sslmode=require' }),
    );
    expect(shown).not.toMatch(/S3cretPw|K3yPass/);
    expect(shown).toContain('&password=********"');
    expect(shown).toContain('&sslpassword=********&sslmode=require');
  });
});

describe('pgbouncer exporter connection and options', () => {
  it("connects as the monitor user to pgbouncer's admin console, or to pgbouncer_exporter_url", () => {
    expect(pgbouncerExporterUrl(v)).toBe('postgresql://dbuser_monitor:DBUser.Monitor@:6432/pgbouncer?host=/var/run/postgresql&sslmode=disable');
    expect(pgbouncerExporterUrl({ ...v, pgbouncer_exporter_url: 'postgres://u:p@:6432/pgbouncer' })).toBe('postgres://u:p@:6432/pgbouncer');
  });

  it('gives the launcher its port and options, quoted for systemd', () => {
    const env = pgbouncerExporterEnv({ ...v, pgbouncer_exporter_port: 9999, pgbouncer_exporter_options: '--host="0.0.0.0" $X' });
    expect(env).toContain('OPTIONS="--port=9999 --host=\\"0.0.0.0\\" \\$X"');
    expect(envValue(env, 'PGBOUNCER_URL')).toBe(pgbouncerExporterUrl(v));
  });
});
