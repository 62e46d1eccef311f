import { describe, expect, it } from 'vitest';
import { authorizedKey } from '../../modules/authorized-key.ts';
import { SAFE_FN } from '../../modules/file-state.ts';
import { fakeHost, fileOutput, readOutput, runModule, statLine } from './fake-host.ts';

const KEYS = '/var/lib/pgsql/.ssh/authorized_keys';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl postgres@meta';
const OTHER = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0oUVXcTQ0z4c2JYgmHqBMWZ7V0S3a2Gxq8pNn4rH9c root@admin';
const PG = { owner: 'postgres', group: 'postgres', uid: 543, gid: 543 };
/** The one read: getent finds the user; the file's path, the user's group, the .ssh directory's state, then the file read. */
const READ = /\nentry=\$\(getent passwd -- postgres\) \|\| \{ echo nouser; exit 0; \}\n/;
const read = (dir: string, fileRead: string): string => `${KEYS}\0postgres\0${dir}${fileRead}`;
const SSH_DIR = statLine('directory', { ...PG, mode: '700' });
const isWrite = (s: { command: string }): boolean => s.command.startsWith('set -e\n') && s.command.includes('\nn=authorized_keys\n');

describe('authorized_key', () => {
  it('leaves a file that has the key, with the right owner and modes, alone: one read', async () => {
    const host = fakeHost().on(READ, { stdout: read(SSH_DIR, fileOutput(KEYS, `${OTHER}\n${KEY}\n`, { ...PG, mode: '600' })) });
    expect((await runModule(authorizedKey, { user: 'postgres', key: KEY }, host)).result).toEqual({
      changed: false,
      failed: false,
      user: 'postgres',
      path: KEYS,
      keys: 1,
    });
    expect(host.sent).toHaveLength(1);
  });

  it('appends a missing key, keeping the others, written as the user with mode 0600', async () => {
    const host = fakeHost()
      .on(READ, { stdout: read(SSH_DIR, fileOutput(KEYS, `${OTHER}\n`, { ...PG, mode: '600' })) })
      .on(isWrite);
    const { plan } = await runModule(authorizedKey, { user: 'postgres', key: KEY }, host);
    expect(plan).toMatchObject({ summary: `${KEYS}: add 1 key(s)`, diff: [{ path: KEYS, before: `${OTHER}\n`, after: `${OTHER}\n${KEY}\n` }] });
    expect(host.sent[1]?.stdin).toBe(`${OTHER}\n${KEY}\n`);
    expect(host.sent[1]?.command.split('\n')).toEqual(
      expect.arrayContaining(['go /var/lib/pgsql/.ssh || exit 1', 'chown postgres:postgres new', 'chmod 0600 new']),
    );
  });

  it('makes a missing .ssh from its parent, owned by the user, before writing the file', async () => {
    const mkdir = `${SAFE_FN}\ngo /var/lib/pgsql && mkdir -m 700 -- .ssh && chown -h postgres:postgres -- .ssh`;
    const host = fakeHost()
      .on(READ, { stdout: read(statLine('absent'), readOutput(KEYS, statLine('absent'))) })
      .on(mkdir)
      .on(isWrite);
    const { plan } = await runModule(authorizedKey, { user: 'postgres', key: KEY }, host);
    expect(plan?.summary).toBe(`${KEYS}: add 1 key(s); create /var/lib/pgsql/.ssh`);
    expect(host.commands[1]).toBe(mkdir);
    expect(host.sent[2]?.stdin).toBe(`${KEY}\n`);
  });

  it('in check mode reports the change without writing, and only warns when the user does not exist yet', async () => {
    const host = fakeHost({ check: true })
      .once(READ, { stdout: read(SSH_DIR, fileOutput(KEYS, `${KEY}\n`, { ...PG, mode: '600' })) })
      .once(READ, { stdout: 'nouser\n' });
    expect((await runModule(authorizedKey, { user: 'postgres', key: KEY, state: 'absent' }, host)).plan?.summary).toBe(`${KEYS}: remove 1 key(s)`);
    const { plan } = await runModule(authorizedKey, { user: 'postgres', key: KEY }, host);
    expect(plan).toMatchObject({ changed: true, warnings: ['authorized_key: user postgres does not exist'] });
    expect(host.sent).toHaveLength(2);
  });

  it('fails on a line that is not a public key before reading, and on a missing user', async () => {
    const host = fakeHost().on(READ, { stdout: 'nouser\n' });
    expect((await runModule(authorizedKey, { user: 'postgres', key: 'not a key' }, host)).result.msg).toBe(
      'authorized_key: key line 1 is not an SSH public key: "not a key"',
    );
    expect((await runModule(authorizedKey, { user: 'postgres', key: KEY }, host)).result.msg).toBe('authorized_key: user postgres does not exist');
    expect(host.sent).toHaveLength(1);
  });
});
