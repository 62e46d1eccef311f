import { describe, expect, it } from 'vitest';
import { readCommand, user } from '../../modules/user.ts';
import { fakeHost, runModule } from './fake-host.ts';

const HASH = '$6$rounds=5000$salt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ./abcdefghijklmnopqrstuv';
const DBSU = { name: 'postgres', uid: 543, home: '/var/lib/pgsql', shell: '/bin/bash', comment: 'PostgreSQL administrator', groups: ['admin'] };

/** What readCommand prints on Debian 12 for an existing postgres user in admin, and for the groups named. */
const EXISTING = [
  'passwd postgres:x:543:543:PostgreSQL administrator:/var/lib/pgsql:/bin/bash',
  'primary postgres',
  'groups postgres admin',
  'group postgres postgres:x:543:',
  'group admin admin:x:1001:postgres',
  '',
].join('\n');

describe('user', () => {
  it('leaves a user that matches alone: one read, unchanged, its state returned', async () => {
    const host = fakeHost().on(readCommand(DBSU), { stdout: EXISTING });
    expect((await runModule(user, DBSU, host)).result).toEqual({
      changed: false,
      failed: false,
      name: 'postgres',
      state: 'present',
      uid: 543,
      group: 'postgres',
      groups: ['admin'],
      home: '/var/lib/pgsql',
      shell: '/bin/bash',
    });
    expect(host.sent).toHaveLength(1);
  });

  it('creates a missing user with useradd and the crypt hash on stdin, then reads it back', async () => {
    const args = { ...DBSU, password: HASH, system: true };
    const read = readCommand(args);
    const script = [
      'set -e',
      "useradd -u 543 -g postgres -G admin -d /var/lib/pgsql -s /bin/bash -c 'PostgreSQL administrator' -r -m -- postgres",
      'chpasswd -e',
      readCommand({ ...args, password: undefined }),
    ].join('\n');
    const host = fakeHost()
      .on(read, { stdout: 'absent\ngroup postgres postgres:x:543:\ngroup admin admin:x:1001:\n' })
      .on(script, { stdout: EXISTING });
    const { result, plan } = await runModule(user, args, host);
    expect(plan?.summary).toBe('create user postgres (uid 543)');
    expect(result).toMatchObject({ changed: true, failed: false, uid: 543, groups: ['admin'] });
    expect(host.sent[1]).toEqual({ command: script, stdin: `postgres:${HASH}\n` });
    expect(JSON.stringify(plan)).not.toContain(HASH);
  });

  it('changes only what differs with one usermod, and sets a different password without showing it', async () => {
    const args = { ...DBSU, shell: '/bin/sh', groups: ['admin', 'ssl-cert'], password: HASH };
    const read = readCommand(args);
    const stdout = `${EXISTING}shadow $6$old$hash\ngroup ssl-cert ssl-cert:x:108:\n`;
    const host = fakeHost()
      .once(read, { stdout })
      .on(/^set -e\nusermod /, { stdout: EXISTING });
    const { plan } = await runModule(user, args, host);
    expect(plan?.summary).toBe('user postgres: groups +ssl-cert, shell "/bin/bash" -> "/bin/sh", password');
    expect(host.sent[1]?.command.split('\n').slice(0, 3)).toEqual(['set -e', 'usermod -G admin,ssl-cert -s /bin/sh -- postgres', 'chpasswd -e']);
    expect(host.sent[1]?.stdin).toBe(`postgres:${HASH}\n`);
  });

  it('removes a user with userdel -r when asked to remove its home', async () => {
    const host = fakeHost()
      .on(readCommand({ name: 'postgres' }), { stdout: EXISTING })
      .on('userdel -r -- postgres');
    const { plan } = await runModule(user, { name: 'postgres', state: 'absent', remove: true }, host);
    expect(plan?.summary).toBe('remove user postgres (uid 543) and /var/lib/pgsql');
    expect(host.commands[1]).toBe('userdel -r -- postgres');
  });

  it('in check mode reports the creation, warns about a group an earlier task would create, and sends only the read', async () => {
    const args = { name: 'dbuser', groups: ['dbrole'] };
    const host = fakeHost({ check: true }).on(readCommand(args), { stdout: 'absent\n' });
    const { result, plan } = await runModule(user, args, host);
    expect(result).toMatchObject({ changed: true, failed: false });
    expect(plan?.warnings).toEqual(['user dbuser: group dbrole does not exist']);
    expect(host.sent).toHaveLength(1);
  });

  it('fails before changing anything when a group it needs does not exist', async () => {
    const args = { name: 'dbuser', group: 'dba', groups: ['dbrole'] };
    const host = fakeHost().on(readCommand(args), { stdout: 'absent\n' });
    expect((await runModule(user, args, host)).result).toMatchObject({ failed: true, msg: 'user dbuser: groups dba, dbrole do not exist' });
    expect(host.sent).toHaveLength(1);
  });
});
