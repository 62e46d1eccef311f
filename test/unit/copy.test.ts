import { describe, expect, it } from 'vitest';
import { copy } from '../../modules/copy.ts';
import { SAFE_FN, sha256 } from '../../modules/file-state.ts';
import { fakeHost, fileOutput, hashOutput, readFileCommand, readOutput, runModule, statLine } from './fake-host.ts';

const DEST = '/etc/pgbouncer/userlist.txt';
const CONTENT = '"dbuser_meta" "SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2VydmVy"\n';
const READ = readFileCommand(DEST, 'never', false);
const PG = { owner: 'postgres', group: 'postgres', mode: '600', uid: 543, gid: 543 };
const ARGS = { dest: DEST, content: CONTENT, owner: 'postgres', group: 'postgres', mode: '0600' };
const isWrite = (s: { command: string }): boolean => s.command.startsWith('set -e\n') && s.command.includes('\nn=userlist.txt\n');

describe('copy', () => {
  it('leaves a file with the same hash, owner and mode alone: one read by hash', async () => {
    const host = fakeHost().on(READ, { stdout: hashOutput(DEST, sha256(CONTENT), PG) });
    expect((await runModule(copy, ARGS, host)).result).toEqual({ changed: false, failed: false });
    expect(host.commands).toEqual([READ]);
  });

  it('creates a missing file atomically with owner and mode, the content on stdin', async () => {
    const host = fakeHost()
      .on(READ, { stdout: readOutput(DEST, statLine('absent')) })
      .on(isWrite);
    const { plan } = await runModule(copy, ARGS, host);
    expect(plan).toMatchObject({ summary: `create ${DEST}`, diff: [{ path: DEST, before: '', after: CONTENT }] });
    expect(host.sent[1]?.stdin).toBe(CONTENT);
    expect(host.sent[1]?.command.split('\n')).toEqual(
      expect.arrayContaining(['go /etc/pgbouncer || exit 1', 'cat > new', 'chown postgres:postgres new', 'chmod 0600 new']),
    );
  });

  it('only fixes owner and mode when the content is equal, from the directory, never through the path', async () => {
    const host = fakeHost()
      .on(READ, { stdout: hashOutput(DEST, sha256(CONTENT), { ...PG, owner: 'root', uid: 0, mode: '644' }) })
      .on(`${SAFE_FN}\ngo /etc/pgbouncer && chown -h postgres -- userlist.txt && sm 0600 userlist.txt`);
    const { plan } = await runModule(copy, ARGS, host);
    expect(plan?.summary).toBe(`${DEST}: owner root:postgres -> postgres:postgres, mode 0644 -> 0600`);
    expect(host.sent).toHaveLength(2);
  });

  it('in check mode shows the diff of a changed file and sends only reads', async () => {
    const old = '"dbuser_meta" "md5x"\n';
    const host = fakeHost({ check: true })
      .on(READ, { stdout: hashOutput(DEST, sha256(old), PG) })
      .on(readFileCommand(DEST, 'never', true), { stdout: fileOutput(DEST, old, PG) });
    const { result, plan } = await runModule(copy, ARGS, host);
    expect(result.changed).toBe(true);
    expect(plan?.diff).toEqual([{ path: DEST, before: old, after: CONTENT }]);
    expect(host.sent.some(isWrite)).toBe(false);
  });

  it('fails when dest is a directory, and on a controller file that cannot be read', async () => {
    const host = fakeHost().on(READ, { stdout: readOutput(DEST, statLine('directory')) });
    expect((await runModule(copy, ARGS, host)).result.msg).toBe(`${DEST} exists and is not a regular file`);
    expect((await runModule(copy, { dest: DEST, src: '/nonexistent/pigsty/file' }, host)).result.msg).toMatch(
      /^reading \/nonexistent\/pigsty\/file on the controller failed: ENOENT/,
    );
    expect(host.sent).toHaveLength(1);
  });
});
