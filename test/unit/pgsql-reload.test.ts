import { describe, expect, it } from 'vitest';
import type { TaskResult } from '../../engine/dsl.ts';
import { haproxy } from '../../roles/haproxy/role.ts';
import { accessTasks } from '../../roles/pgsql/tasks/access.ts';
import { hbaTasks } from '../../roles/pgsql/tasks/hba.ts';
import { NO_STAMP, pendingAmong, pendingScript, postgresReloadPending, reloadPending, stampCommand } from '../../roles/reloads.ts';
import { tasksOf } from './role-tasks.ts';
import { pgHost } from './role-host.ts';

const out = (stdout: string): TaskResult => ({ changed: false, failed: false, stdout });
const unchanged: TaskResult = { changed: false, failed: false };
const wrote: TaskResult = { changed: true, failed: false };

describe('whether postgres runs on older files than its data directory holds', () => {
  it("compares pg_conf_load_time() with the files' mtimes, to the nanosecond", () => {
    expect(postgresReloadPending('1764750000.123456\n1764749000.000000000\n1764749999.999999999\n')).toBe(false);
    expect(postgresReloadPending('1764750000.123456\n1764750000.123457000\n1764749000.000000000\n')).toBe(true);
  });

  it('owes nothing when the server did not answer', () => {
    expect(postgresReloadPending('')).toBe(false);
    expect(postgresReloadPending('psql: error: connection to server on socket failed\n')).toBe(false);
  });

  it('reloads on a file written by an earlier run that ended before its reload, and not when all is loaded', () => {
    const reload = tasksOf(hbaTasks).get('reload postgres config');
    const v = (loaded: string) => pgHost({ pg_hba_result: unchanged, pg_param_result: unchanged, pg_conf_loaded: out(loaded) });
    expect(reload?.when?.(v('1764750000.5\n1764750100.25\n1764740000.0\n'))).toBe(true);
    expect(reload?.when?.(v('1764750000.5\n1764740100.25\n1764740000.0\n'))).toBe(false);
    expect(reload?.when?.(pgHost({ pg_hba_result: wrote, pg_param_result: unchanged, pg_conf_loaded: out('') }))).toBe(true);
  });
});

describe('stamps of the services that reread files', () => {
  it('lists the files newer than the stamp, or says there is no stamp', () => {
    expect(pendingScript('haproxy', ['/etc/haproxy/haproxy.cfg', '/etc/haproxy/conf.d'])).toBe(
      "if [ -e /var/lib/pigsty/loaded/haproxy ]; then find /etc/haproxy/haproxy.cfg /etc/haproxy/conf.d -maxdepth 1 -newer /var/lib/pigsty/loaded/haproxy 2>/dev/null; else echo 'no stamp'; fi; true",
    );
    expect(stampCommand('pgbouncer')).toBe('install -d -o root -g root -m 0700 /var/lib/pigsty/loaded && touch /var/lib/pigsty/loaded/pgbouncer');
    expect(reloadPending(out('\n'))).toBe(false);
    expect(reloadPending(out(`${NO_STAMP}\n`))).toBe(true);
    expect(pendingAmong(out(`${NO_STAMP}\n`), ['/etc/pgbouncer/pgbouncer.ini'])).toBe(false);
  });

  it('pgbouncer: a list file not loaded is reloaded, pgbouncer.ini not loaded restarts it, a fresh start owes nothing', () => {
    const tasks = tasksOf(accessTasks);
    const reload = tasks.get('reload pgbouncer');
    const restart = tasks.get('restart pgbouncer on a new unit or pgbouncer.ini');
    const quiet = {
      pgb_lists: unchanged,
      pgb_hba: unchanged,
      pgb_userlist: unchanged,
      pgb_unit: unchanged,
      pgb_ini: unchanged,
      pgb_started: unchanged,
    };
    const pending = (stdout: string, extra: Record<string, unknown> = {}) => pgHost({ ...quiet, pgb_pending: out(stdout), ...extra });
    expect(reload?.when?.(pending('/etc/pgbouncer/pgb_hba.conf\n'))).toBe(true);
    expect(restart?.when?.(pending('/etc/pgbouncer/pgb_hba.conf\n'))).toBe(false);
    expect(restart?.when?.(pending('/etc/pgbouncer/pgbouncer.ini\n'))).toBe(true);
    expect(reload?.when?.(pending('/etc/pgbouncer/pgbouncer.ini\n', { pgb_restarted: wrote }))).toBe(false);
    expect(reload?.when?.(pending(''))).toBe(false);
    expect(reload?.when?.(pending(`${NO_STAMP}\n`, { pgb_started: wrote }))).toBe(false);
    expect(tasks.get('record that pgbouncer loaded its files')?.when?.(pending('', { pgb_started: wrote }))).toBe(true);
    expect(reload?.args).toEqual({ cmd: `systemctl reload-or-restart pgbouncer && ${stampCommand('pgbouncer')}` });
  });

  it('haproxy: the role and the pgsql services reload for files not loaded yet', () => {
    const role = tasksOf(haproxy.tasks);
    const quiet = { haproxy_cfg: unchanged, haproxy_svc: unchanged, haproxy_launch: unchanged };
    expect(
      role
        .get('reload haproxy')
        ?.when?.(pgHost({ ...quiet, haproxy_pending: out('/etc/haproxy/conf.d\n/etc/haproxy/conf.d/pg-test-primary.cfg\n') })),
    ).toBe(true);
    expect(role.get('reload haproxy')?.when?.(pgHost({ ...quiet, haproxy_pending: out('') }))).toBe(false);
    const services = tasksOf(accessTasks);
    const v = (stdout: string) => pgHost({ pg_service_files: unchanged, pg_service_removed: unchanged, pg_service_pending: out(stdout) });
    expect(services.get('reload haproxy')?.when?.(v('/etc/haproxy/conf.d\n'))).toBe(true);
    expect(services.get('check the haproxy configuration')?.when?.(v('/etc/haproxy/conf.d\n'))).toBe(true);
    expect(services.get('reload haproxy')?.when?.(v(''))).toBe(false);
  });

  it('patroni: its config not loaded yet is reloaded', () => {
    const reload = tasksOf(hbaTasks).get('reload patroni config');
    expect(reload?.when?.(pgHost({ pg_conf_result: unchanged, pg_patroni_pending: out('/pg/conf/pg-test-1.yml\n') }))).toBe(true);
    expect(reload?.when?.(pgHost({ pg_conf_result: unchanged, pg_patroni_pending: out('') }))).toBe(false);
  });
});

describe('vip-manager', () => {
  it('restarts for a config it has not loaded, and leaves a host without a stamp running', () => {
    const tasks = tasksOf(accessTasks);
    const restart = tasks.get('restart vip-manager on a new config or unit');
    const v = (stdout: string) => pgHost({ pg_vip_enabled: true, pg_vip_files: unchanged, pg_vip_started: unchanged, pg_vip_pending: out(stdout) });
    expect(restart?.when?.(v('/etc/default/vip-manager.yml\n'))).toBe(true);
    expect(restart?.when?.(v(`${NO_STAMP}\n`))).toBe(false);
    expect(restart?.when?.(v(''))).toBe(false);
  });
});
