import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { command } from '../../modules/command.ts';
import { shell } from '../../modules/shell.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-command-test';

describe('command and shell modules on a sandbox node', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES.meta);
    await sh(conn, `rm -rf ${DIR} && mkdir -p ${DIR}`);
  });
  afterAll(async () => {
    await sh(conn, `rm -rf ${DIR} /tmp/pgsty-pwned`);
    await conn.close();
  });

  const marker = `${DIR}/ran`;

  it('in check mode reports what would run and runs nothing', async () => {
    const r = await runModule(conn, command, { argv: ['touch', marker] }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`would run: touch ${marker}`);
    expect(r.result.rc).toBeUndefined();
    expect(await sh(conn, `test -e ${marker} && echo present || echo absent`)).toBe('absent\n');
  });

  it('runs, then a creates guard says it already ran (also in check mode)', async () => {
    const first = await runModule(conn, command, { argv: ['touch', marker], creates: marker });
    expect(first.result).toMatchObject({ changed: true, failed: false, rc: 0, stdout: '', stderr: '' });
    expect(first.plan?.summary).toBe(`ran: touch ${marker}`);
    const again = await runModule(conn, command, { argv: ['touch', marker], creates: marker });
    expect(again.result.changed).toBe(false);
    expect(again.plan?.summary).toBe(`skipped, since ${marker} exists`);
    expect((await runModule(conn, command, { argv: ['touch', marker], creates: marker }, { check: true })).result.changed).toBe(false);
  });

  it('a removes guard skips once the path is gone', async () => {
    const rm = { argv: ['rm', marker], removes: marker };
    expect((await runModule(conn, command, rm, { check: true })).result.changed).toBe(true);
    expect((await runModule(conn, command, rm)).result.changed).toBe(true);
    const again = await runModule(conn, command, rm);
    expect(again.result.changed).toBe(false);
    expect(again.plan?.summary).toBe(`skipped, since ${marker} does not exist`);
  });

  it('passes every argv element literally, without a shell', async () => {
    const hostile = `it's $(touch /tmp/pgsty-pwned); "x" \`id\` \n next`;
    const r = await runModule(conn, command, { argv: ['printf', '%s|%s\n', hostile, '*'] });
    expect(r.result.stdout).toBe(`${hostile}|*`);
    expect(r.result.stdout_lines).toEqual([`it's $(touch /tmp/pgsty-pwned); "x" \`id\` `, ' next|*']);
    expect(await sh(conn, 'test -e /tmp/pgsty-pwned && echo pwned || echo safe')).toBe('safe\n');
  });

  it('runs a program whose name is a shell keyword as a program', async () => {
    const r = await runModule(conn, command, { argv: ['if'] });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toContain('"if" exited with code 127');
  });

  it('feeds stdin and runs in chdir, for register', async () => {
    const r = await runModule(conn, command, { argv: ['sh', '-c', 'pwd; cat'], chdir: DIR, stdin: 's3cret line\n' });
    expect(r.result).toMatchObject({ rc: 0, stdout: `${DIR}\ns3cret line`, stdout_lines: [DIR, 's3cret line'], cmd: ['sh', '-c', 'pwd; cat'] });
    expect(r.plan?.summary).not.toContain('s3cret');
  });

  it('fails on a nonzero exit with rc, stdout and stderr, naming the command', async () => {
    const r = await runModule(conn, command, { argv: ['sh', '-c', 'echo partial; echo "no such table" >&2; exit 3'] });
    expect(r.result).toMatchObject({ failed: true, changed: false, rc: 3, stdout: 'partial', stderr: 'no such table' });
    expect(r.result.msg).toBe(`"sh -c 'echo partial; echo "no such table" >&2; exit 3'" exited with code 3: no such table`);
  });

  it('fails when chdir does not exist and when the time limit passes', async () => {
    const missing = await runModule(conn, command, { argv: ['true'], chdir: `${DIR}/nope` });
    expect(missing.result.failed).toBe(true);
    expect(missing.result.msg).toMatch(/^"true" exited with code [12]: .*cd.*nope/);
    const slow = await runModule(conn, command, { argv: ['sleep', '30'], timeout: 1 });
    expect(slow.result.failed).toBe(true);
    expect(slow.result.msg).toBe('"sleep 30" timed out after 1s');
    expect(await sh(conn, "pgrep -fx 'sleep 30' || echo killed")).toBe('killed\n');
  });

  it('shell: runs a command line through /bin/sh, or the given executable', async () => {
    const r = await runModule(conn, shell, { cmd: `echo a b | wc -w > ${DIR}/count; cat ${DIR}/count; echo "$0"` });
    expect(r.result.stdout).toBe('2\n/bin/sh');
    expect(r.result.cmd).toBe(`echo a b | wc -w > ${DIR}/count; cat ${DIR}/count; echo "$0"`);
    const bash = await runModule(conn, shell, { cmd: '[[ abc == a* ]] && echo "$BASH_VERSINFO"', executable: '/bin/bash' });
    expect(bash.result.stdout).toBe('5');
    const posix = await runModule(conn, shell, { cmd: '[[ abc == a* ]]' });
    expect(posix.result.failed).toBe(true);
    expect(posix.result.msg).toMatch(/^"\[\[ abc == a\* \]\]" exited with code 127: .*not found/);
  });

  it('shell: check mode says what would run; guards and chdir work as for command', async () => {
    const write = { cmd: 'echo hi > out', chdir: DIR, creates: `${DIR}/out` };
    const check = await runModule(conn, shell, write, { check: true });
    expect(check.plan?.summary).toBe('would run: echo hi > out');
    expect(await sh(conn, `test -e ${DIR}/out && echo present || echo absent`)).toBe('absent\n');
    expect((await runModule(conn, shell, write)).result.changed).toBe(true);
    expect(await sh(conn, `cat ${DIR}/out`)).toBe('hi\n');
    expect((await runModule(conn, shell, write)).result.changed).toBe(false);
  });

  it('runs as another user through become', async () => {
    const r = await runModule(conn, command, { argv: ['id', '-un'] }, { become: { user: 'nobody' } });
    expect(r.result.stdout).toBe('nobody');
    const s = await runModule(conn, shell, { cmd: 'id -un; pwd', chdir: '/tmp' }, { become: { user: 'nobody' } });
    expect(s.result.stdout).toBe('nobody\n/tmp');
  });

  it('rejects bad arguments before touching the host', async () => {
    expect(argumentError(command, { argv: [] })?.describe()).toContain('argument "argv" must NOT have fewer than 1 items');
    expect(argumentError(command, { argv: 'ls -l' })?.describe()).toContain('argument "argv" must be array');
    expect(argumentError(command, { argv: ['ls'], cmd: 'ls' })?.describe()).toContain('unknown argument "cmd"');
    expect(argumentError(command, { argv: ['ls'], chdir: 'tmp' })?.describe()).toContain('argument "chdir" must match pattern');
    expect(argumentError(shell, { cmd: '' })?.describe()).toContain('argument "cmd" must NOT have fewer than 1 characters');
    expect(argumentError(shell, { cmd: 'ls', executable: 'bash' })?.describe()).toContain('argument "executable" must match pattern');
    const option = await runModule(conn, command, { argv: ['-rf', '/'] });
    expect(option.result.msg).toBe('argv[0] must name a program, got "-rf"');
  });
});
