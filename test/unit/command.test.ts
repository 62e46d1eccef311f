import { describe, expect, it } from 'vitest';
import { command } from '../../modules/command.ts';
import { fakeHost, planOn, runModule } from './fake-host.ts';

const GUARD = 'if [ -e /pg/data/PG_VERSION ]; then echo creates; fi';

describe('command', () => {
  it('runs the argv as quoted words with exec, and returns rc and output with the trailing newline taken off', async () => {
    const host = fakeHost().on("exec pg_ctl reload -D '/pg/data dir'", { stdout: 'server signaled\n' });
    const { result, plan } = await runModule(command, { argv: ['pg_ctl', 'reload', '-D', '/pg/data dir'] }, host);
    expect(plan?.summary).toBe("ran: pg_ctl reload -D '/pg/data dir'");
    expect(result).toEqual({
      changed: true,
      failed: false,
      cmd: ['pg_ctl', 'reload', '-D', '/pg/data dir'],
      rc: 0,
      stdout: 'server signaled',
      stderr: '',
      stdout_lines: ['server signaled'],
      stderr_lines: [],
    });
    expect(host.sent).toEqual([{ command: "exec pg_ctl reload -D '/pg/data dir'" }]);
  });

  it('skips when creates exists: one test sent, unchanged, the command never run', async () => {
    const host = fakeHost().on(GUARD, { stdout: 'creates\n' });
    const { result } = await runModule(command, { argv: ['initdb', '-D', '/pg/data'], creates: '/pg/data/PG_VERSION' }, host);
    expect(result).toMatchObject({ changed: false, rc: 0, msg: 'skipped, since /pg/data/PG_VERSION exists' });
    expect(host.commands).toEqual([GUARD]);
  });

  it('runs when the guards allow it, from chdir, with stdin and a time limit the host enforces', async () => {
    const guards = 'if [ -e /pg/data/PG_VERSION ]; then echo creates; fi; if [ ! -e /tmp/init.sql ]; then echo removes; fi';
    const run = 'cd -- /var/lib/postgresql && exec timeout -k 5 60 psql -f -';
    const host = fakeHost().on(guards, { stdout: '' }).on(run);
    const args = {
      argv: ['psql', '-f', '-'],
      creates: '/pg/data/PG_VERSION',
      removes: '/tmp/init.sql',
      chdir: '/var/lib/postgresql',
      stdin: 'select 1;',
      timeout: 60,
    };
    expect((await runModule(command, args, host)).result.changed).toBe(true);
    expect(host.sent).toEqual([{ command: guards }, { command: run, stdin: 'select 1;', timeoutMs: 90_000 }]);
  });

  it('in check mode reports what would run and sends nothing', async () => {
    const host = fakeHost({ check: true });
    const { result, plan } = await runModule(command, { argv: ['systemctl', 'restart', 'patroni'] }, host);
    expect(result).toEqual({ changed: true, failed: false, cmd: ['systemctl', 'restart', 'patroni'] });
    expect(plan?.summary).toBe('would run: systemctl restart patroni');
    expect(host.sent).toEqual([]);
  });

  it('fails with the exit code and stderr, or says it timed out', async () => {
    const host = fakeHost()
      .on('exec pg_ctl promote', { code: 1, stderr: 'pg_ctl: server is not in standby mode\n' })
      .on('exec timeout -k 5 3 sleep 10', { code: 124 });
    expect((await runModule(command, { argv: ['pg_ctl', 'promote'] }, host)).result).toMatchObject({
      failed: true,
      rc: 1,
      msg: '"pg_ctl promote" exited with code 1: pg_ctl: server is not in standby mode',
    });
    expect((await runModule(command, { argv: ['sleep', '10'], timeout: 3 }, host)).result.msg).toBe('"sleep 10" timed out after 3s');
  });

  it('refuses an argv[0] that is an option, before sending anything', async () => {
    const host = fakeHost();
    await expect(planOn(command, { argv: ['-rf', '/'] }, host)).rejects.toThrow('argv[0] must name a program, got "-rf"');
    expect(host.sent).toEqual([]);
  });
});
