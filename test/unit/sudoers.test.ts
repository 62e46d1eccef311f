import { describe, expect, it } from 'vitest';
import { sha256 } from '../../modules/file-state.ts';
import { sudoers } from '../../modules/sudoers.ts';
import { fakeHost, fileOutput, hashOutput, readFileCommand, readOutput, runModule, statLine } from './fake-host.ts';

const DEST = '/etc/sudoers.d/dba';
const NOPASS = 'dba ALL=(ALL) NOPASSWD: ALL\n';
const HASH_READ = readFileCommand(DEST, 'never', false);
const WHOLE_READ = readFileCommand(DEST, 'never', true);
const isWrite = (command: string): boolean => command.startsWith('set -e\n') && command.includes('\nn=dba\n');

describe('sudoers', () => {
  it('leaves a rule file with the same content and attributes alone: one read by hash', async () => {
    const host = fakeHost().on(HASH_READ, { stdout: hashOutput(DEST, sha256(NOPASS), { mode: '440' }) });
    expect((await runModule(sudoers, { name: 'dba', user: 'dba' }, host)).result).toEqual({
      changed: false,
      failed: false,
      path: DEST,
      state: 'present',
    });
    expect(host.commands).toEqual([HASH_READ]);
  });

  it('rewrites a different rule with a diff, validated by visudo, mode 0440, the content on stdin', async () => {
    const old = 'dba ALL=(ALL) ALL\n';
    const host = fakeHost()
      .on(HASH_READ, { stdout: hashOutput(DEST, sha256(old), { mode: '440' }) })
      .on(WHOLE_READ, { stdout: fileOutput(DEST, old, { mode: '440' }) })
      .on((s) => isWrite(s.command));
    const { plan } = await runModule(sudoers, { name: 'dba', user: 'dba', mode: 'nopass' }, host);
    expect(plan).toMatchObject({ changed: true, summary: `update ${DEST}`, diff: [{ path: DEST, before: old, after: NOPASS }] });
    const write = host.sent[2]!;
    expect(write.stdin).toBe(NOPASS);
    expect(write.command.split('\n')).toEqual(expect.arrayContaining(['go /etc/sudoers.d || exit 1', 'chown root:root new', 'chmod 0440 new']));
    expect(write.command).toContain(`( visudo -cf "$PWD/new"\n) || { echo 'validate command rejected the new content' >&2; exit 1; }`);
  });

  it('writes limit rules one command a line, escaping what sudoers reads as syntax', async () => {
    const host = fakeHost()
      .on(HASH_READ, { stdout: readOutput(DEST, statLine('absent')) })
      .on((s) => isWrite(s.command));
    const { plan } = await runModule(
      sudoers,
      { name: 'dba', user: '%dba', mode: 'limit', commands: ['/usr/bin/systemctl restart patroni', '/usr/bin/env A=1,B:2'] },
      host,
    );
    expect(plan?.summary).toBe(`create ${DEST}`);
    expect(host.sent[1]?.stdin).toBe('%dba ALL=NOPASSWD: /usr/bin/systemctl restart patroni\n%dba ALL=NOPASSWD: /usr/bin/env A\\=1\\,B\\:2\n');
  });

  it('removes the file for mode none, showing what goes, and leaves a missing one alone', async () => {
    const read = `if [ -e ${DEST} ]; then echo present; cat -- ${DEST}; fi`;
    const host = fakeHost()
      .once(read, { stdout: `present\n${NOPASS}` })
      .on(`rm -f -- ${DEST}`)
      .once(read, { stdout: '' });
    const { plan } = await runModule(sudoers, { name: 'dba', user: 'dba', mode: 'none' }, host);
    expect(plan).toMatchObject({ changed: true, summary: `remove ${DEST}`, diff: [{ path: DEST, before: NOPASS, after: '' }] });
    expect((await runModule(sudoers, { name: 'dba', state: 'absent' }, host)).result.changed).toBe(false);
    expect(host.commands).toEqual([read, `rm -f -- ${DEST}`, read]);
  });

  it('in check mode reports the new file and sends only the read', async () => {
    const host = fakeHost({ check: true }).on(HASH_READ, { stdout: readOutput(DEST, statLine('absent')) });
    expect((await runModule(sudoers, { name: 'dba', user: 'dba' }, host)).result).toMatchObject({ changed: true, failed: false });
    expect(host.commands).toEqual([HASH_READ]);
  });

  it('fails on arguments that make no rule, and when visudo rejects the file', async () => {
    const host = fakeHost()
      .on(HASH_READ, { stdout: readOutput(DEST, statLine('absent')) })
      .on((s) => isWrite(s.command), { code: 1, stderr: 'validate command rejected the new content\n' });
    expect((await runModule(sudoers, { name: 'dba', user: 'dba', mode: 'limit' }, host)).result.msg).toBe(
      'sudoers: mode limit needs a non-empty "commands" list',
    );
    expect((await runModule(sudoers, { name: 'dba', content: 'Defaults !requiretty' }, host)).result).toMatchObject({
      failed: true,
      msg: `writing ${DEST} failed: validate command rejected the new content`,
    });
    expect(host.sent[1]?.stdin).toBe('Defaults !requiretty\n');
  });
});
