import { describe, expect, it } from 'vitest';
import { parseMode, planEdit, readFile, sha256 } from '../../modules/file-state.ts';
import { b64, fakeHost, fileOutput, readFileCommand, readOutput, statLine } from './fake-host.ts';

const PATH = '/etc/default/pgsty';
const READ = readFileCommand(PATH, 'trusted', true);
const append = (line: string) => (text: string | undefined) => ({ text: (text ?? '') + line, what: 'line added' });
const isWrite = (s: { command: string }): boolean => s.command.startsWith('set -e\n') && s.command.includes('\nn=pgsty\n');

describe('file-state: modes and reads', () => {
  it('reads modes as Ansible writes them, and refuses other strings', () => {
    expect([parseMode('0644'), parseMode('644'), parseMode(0o600), parseMode('2775'), parseMode(undefined)]).toEqual([
      0o644,
      0o644,
      0o600,
      0o2775,
      undefined,
    ]);
    expect(() => parseMode('rw-r--r--')).toThrow(`invalid mode "rw-r--r--": expected an octal string such as '0644'`);
  });

  it('reads a file, its state and bytes with one command', async () => {
    const host = fakeHost().on(READ, { stdout: fileOutput(PATH, 'a=1\n', { mode: '640', gid: 4, group: 'adm' }) });
    const read = await readFile(host.ctx, PATH, { follow: 'trusted' });
    expect(read).toEqual({
      path: PATH,
      state: { kind: 'file', owner: 'root', group: 'adm', mode: 0o640, uid: 0, gid: 4, size: 4, sha256: sha256('a=1\n') },
      content: Buffer.from('a=1\n'),
    });
    expect(host.sent).toHaveLength(1);
  });
});

describe('file-state: planEdit', () => {
  it('leaves a file the edit does not change alone, after one read', async () => {
    const host = fakeHost().on(READ, { stdout: fileOutput(PATH, 'a=1\n') });
    expect(await planEdit(host.ctx, { path: PATH }, () => ({ text: 'a=1\n', what: 'x' }))).toEqual({ changed: false, data: { msg: '' } });
    expect(host.sent).toHaveLength(1);
  });

  it('writes the edited text from the one read (no second read), keeping owner and mode unless told', async () => {
    const host = fakeHost()
      .on(READ, { stdout: fileOutput(PATH, 'a=1\n', { mode: '640' }) })
      .on(isWrite);
    const plan = await planEdit(host.ctx, { path: PATH }, append('b=2\n'));
    expect(plan).toMatchObject({
      changed: true,
      summary: `update ${PATH}: line added`,
      diff: [{ path: PATH, before: 'a=1\n', after: 'a=1\nb=2\n' }],
      data: { msg: 'line added' },
    });
    await plan.apply?.();
    expect(host.sent).toHaveLength(2);
    expect(host.sent[1]?.stdin).toBe('a=1\nb=2\n');
    expect(host.sent[1]?.command.split('\n')).toEqual(expect.arrayContaining(['chown root:root new', 'chmod 0640 new']));
  });

  it('plans without writing in check mode (the caller stops before apply), and a missing file with state absent needs nothing', async () => {
    const host = fakeHost({ check: true })
      .once(READ, { stdout: readOutput(PATH, statLine('absent')) })
      .once(READ, { stdout: readOutput(PATH, statLine('absent')) });
    expect(await planEdit(host.ctx, { path: PATH, state: 'absent' }, append('x'))).toEqual({ changed: false, data: { msg: 'file not present' } });
    const plan = await planEdit(host.ctx, { path: PATH, create: true }, append('b=2\n'));
    expect(plan).toMatchObject({ changed: true, summary: `create ${PATH}: line added` });
    expect(host.sent).toHaveLength(2);
  });

  it('fails on a missing file without create, on bytes that are not UTF-8, and on a directory', async () => {
    const host = fakeHost()
      .once(READ, { stdout: readOutput(PATH, statLine('absent')) })
      .once(READ, { stdout: readOutput(PATH, statLine('file', { size: 2 }), b64(Buffer.from([0xff, 0xfe]))) })
      .once(READ, { stdout: readOutput(PATH, statLine('directory')) });
    await expect(planEdit(host.ctx, { path: PATH }, append('x'))).rejects.toThrow(`${PATH} does not exist (set create to make it)`);
    await expect(planEdit(host.ctx, { path: PATH }, append('x'))).rejects.toThrow(`${PATH} is not UTF-8 text`);
    await expect(planEdit(host.ctx, { path: PATH }, append('x'))).rejects.toThrow(`${PATH} is a directory`);
  });
});
