import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../engine/connection/known-hosts.ts';
import { connectSsh } from '../../engine/connection/ssh.ts';
import type { Connection } from '../../engine/connection/types.ts';
import { authorizedKey } from '../../modules/authorized-key.ts';
import { command } from '../../modules/command.ts';
import { group } from '../../modules/group.ts';
import { sudoers } from '../../modules/sudoers.ts';
import { user } from '../../modules/user.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const ADMINS = 'pgsty-admins';
const EXTRA = 'pgsty-extra';
const DBA = 'pgsty-dba';
const HOME = `/home/${DBA}`;
const KEYS = `${HOME}/.ssh/authorized_keys`;
const SUDO = `/etc/sudoers.d/pgsty-admins`;
// A SHA-512 crypt hash of a throwaway password, as Ansible's password_hash filter makes it.
const HASH = '$6$pgstysalt$Hrm4pvVhKk6gJwF5yvGdB4Dv2lQhKt7Qz1bC5q3nXhEw7i0yY0vWcXkQmZ9bO8hR1vL2aP3sT4uV5wX6yZ7aB8';
const HASH2 = '$6$othersalt$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./abcdefghijklmnopqrstuv';

const fakeKey = (comment: string) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${randomBytes(24).toString('base64')} ${comment}`;

describe('group, user, authorized_key and sudoers on a sandbox node', () => {
  let conn: Connection;
  let commands = 0;
  beforeAll(async () => {
    const real = await connectNode(NODES.meta);
    // Count remote commands to show what a no-op costs.
    conn = Object.assign(Object.create(real) as Connection, {
      exec: (...args: Parameters<Connection['exec']>) => {
        commands++;
        return real.exec(...args);
      },
    });
    await sh(real, `userdel -r ${DBA} 2>/dev/null; groupdel ${ADMINS} 2>/dev/null; groupdel ${EXTRA} 2>/dev/null; rm -f ${SUDO}; true`);
  });
  afterAll(async () => {
    await sh(
      conn,
      `pkill -u ${DBA}; userdel -rf ${DBA} 2>/dev/null; groupdel ${ADMINS} 2>/dev/null; groupdel ${EXTRA} 2>/dev/null; rm -f ${SUDO}; true`,
    );
    await conn.close();
  });

  describe('group', () => {
    it('in check mode reports the creation and creates nothing', async () => {
      const r = await runModule(conn, group, { name: ADMINS, gid: 4711 }, { check: true });
      expect(r.result.changed).toBe(true);
      expect(r.plan?.summary).toBe(`create group ${ADMINS} (gid 4711)`);
      expect(await sh(conn, `getent group ${ADMINS} || echo absent`)).toBe('absent\n');
    });

    it('creates the group, then reports unchanged with one remote command', async () => {
      expect((await runModule(conn, group, { name: ADMINS, gid: 4711 })).result).toMatchObject({ changed: true, gid: 4711 });
      expect(await sh(conn, `getent group ${ADMINS}`)).toBe(`${ADMINS}:x:4711:\n`);
      commands = 0;
      expect((await runModule(conn, group, { name: ADMINS, gid: 4711 })).result.changed).toBe(false);
      expect(commands).toBe(1);
      const system = await runModule(conn, group, { name: EXTRA, system: true });
      expect(system.result.changed).toBe(true);
      expect(system.result.gid).toBeLessThan(1000);
    });

    it('changes the gid, checking first', async () => {
      const check = await runModule(conn, group, { name: ADMINS, gid: 4712 }, { check: true });
      expect(check.plan?.summary).toBe(`group ${ADMINS}: gid 4711 -> 4712`);
      expect(await sh(conn, `getent group ${ADMINS} | cut -d: -f3`)).toBe('4711\n');
      expect((await runModule(conn, group, { name: ADMINS, gid: 4712 })).result.changed).toBe(true);
      expect(await sh(conn, `getent group ${ADMINS} | cut -d: -f3`)).toBe('4712\n');
    });

    it('rejects bad arguments before touching the host', () => {
      expect(argumentError(group, { name: 'bad name' })?.describe()).toContain('argument "name" must match pattern');
      expect(argumentError(group, { name: 'ok', gid: -1 })?.describe()).toContain('argument "gid" must be >= 0');
      expect(argumentError(group, { name: 'ok', state: 'gone' })?.describe()).toContain(
        'argument "state" must be equal to one of the allowed values: one of present, absent',
      );
    });
  });

  describe('user', () => {
    const spec = {
      name: DBA,
      uid: 4711,
      group: ADMINS,
      groups: [EXTRA],
      shell: '/bin/bash',
      comment: "Pigsty's admin; $(id)",
      password: HASH,
      generate_ssh_key: true,
    };

    it('in check mode reports the creation and creates nothing', async () => {
      const r = await runModule(conn, user, spec, { check: true });
      expect(r.result.changed).toBe(true);
      expect(r.plan?.summary).toBe(`create user ${DBA} (uid 4711); generate ssh key ~${DBA}/.ssh/id_rsa`);
      expect(await sh(conn, `getent passwd ${DBA} || echo absent`)).toBe('absent\n');
    });

    it('creates the user with its groups, password hash and key pair; the hash never shows', async () => {
      const r = await runModule(conn, user, spec);
      expect(r.result).toMatchObject({ changed: true, uid: 4711, group: ADMINS, groups: [EXTRA], home: HOME, shell: '/bin/bash' });
      expect(String(r.result.ssh_public_key)).toMatch(new RegExp(`^ssh-rsa \\S+ ${DBA}@meta$`));
      expect(JSON.stringify([r.result, r.plan?.summary, r.plan?.data])).not.toContain(HASH);
      expect(await sh(conn, `getent passwd ${DBA}`)).toBe(`${DBA}:x:4711:4712:Pigsty's admin; $(id):${HOME}:/bin/bash\n`);
      expect(await sh(conn, `id -Gn ${DBA}`)).toBe(`${ADMINS} ${EXTRA}\n`);
      expect(await sh(conn, `getent shadow ${DBA} | cut -d: -f2`)).toBe(`${HASH}\n`);
      expect(await sh(conn, `stat -c '%U:%G %a' ${HOME}/.ssh ${HOME}/.ssh/id_rsa`)).toBe(`${DBA}:${ADMINS} 700\n${DBA}:${ADMINS} 600\n`);
    });

    it('reports unchanged on the second run, with one remote command, keeping the key', async () => {
      const key = await sh(conn, `cat ${HOME}/.ssh/id_rsa.pub`);
      commands = 0;
      const r = await runModule(conn, user, spec);
      expect(r.result.changed).toBe(false);
      expect(commands).toBe(1);
      expect(`${String(r.result.ssh_public_key)}\n`).toBe(key);
    });

    it('changes shell and drops supplementary groups, checking first', async () => {
      const change = { name: DBA, shell: '/bin/sh', groups: [] };
      const check = await runModule(conn, user, change, { check: true });
      expect(check.plan?.summary).toBe(`user ${DBA}: groups -${EXTRA}, shell "/bin/bash" -> "/bin/sh"`);
      expect(await sh(conn, `id -Gn ${DBA}`)).toBe(`${ADMINS} ${EXTRA}\n`);
      expect((await runModule(conn, user, change)).result).toMatchObject({ changed: true, groups: [], shell: '/bin/sh' });
      expect((await runModule(conn, user, change)).result.changed).toBe(false);
      const append = await runModule(conn, user, { name: DBA, groups: [EXTRA], append: true });
      expect(append.plan?.summary).toBe(`user ${DBA}: groups +${EXTRA}`);
      expect((await runModule(conn, user, { name: DBA, groups: [], append: true })).result.changed).toBe(false);
    });

    it('updates only the password when it differs, without showing either hash; on_create leaves it', async () => {
      const onCreate = await runModule(conn, user, { name: DBA, password: HASH2, update_password: 'on_create' });
      expect(onCreate.result.changed).toBe(false);
      const r = await runModule(conn, user, { name: DBA, password: HASH2 });
      expect(r.result.changed).toBe(true);
      expect(r.plan?.summary).toBe(`user ${DBA}: password`);
      expect(JSON.stringify([r.result, r.plan?.summary, r.plan?.data])).not.toMatch(/pgstysalt|othersalt/);
      expect(await sh(conn, `getent shadow ${DBA} | cut -d: -f2`)).toBe(`${HASH2}\n`);
      expect((await runModule(conn, user, { name: DBA, password: HASH2 })).result.changed).toBe(false);
    });

    it('fails before changing anything when a group does not exist (a warning in check mode)', async () => {
      const r = await runModule(conn, user, { name: DBA, groups: ['pgsty-nope'], shell: '/bin/bash' });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toBe(`user ${DBA}: group pgsty-nope does not exist`);
      expect(await sh(conn, `getent passwd ${DBA} | cut -d: -f7`)).toBe('/bin/sh\n');
      const check = await runModule(conn, user, { name: DBA, groups: ['pgsty-nope'] }, { check: true });
      expect(check.result).toMatchObject({ changed: true, failed: false });
      expect(check.plan?.warnings).toEqual([`user ${DBA}: group pgsty-nope does not exist`]);
    });

    it('rejects bad arguments before touching the host', () => {
      expect(argumentError(user, { name: DBA, home: 'relative' })?.describe()).toContain('argument "home" must match pattern');
      expect(argumentError(user, { name: DBA, password: 'a:b' })?.describe()).toContain('argument "password" must match pattern');
      expect(argumentError(user, { name: DBA, groups: 'wheel' })?.describe()).toContain('argument "groups" must be array');
      expect(argumentError(user, { name: DBA, ssh_key_type: 'dsa' })?.describe()).toContain('one of rsa, ed25519, ecdsa');
      expect(argumentError(user, { name: DBA, createhome: true })?.describe()).toContain('unknown argument "createhome"');
    });
  });

  describe('authorized_key', () => {
    const first = fakeKey('alice@laptop');
    const second = `from="10.0.0.0/8",command="echo \\"hi there\\"" ${fakeKey('bob@ci')}`;

    it('in check mode shows the key to add in a diff and writes nothing', async () => {
      const r = await runModule(conn, authorizedKey, { user: DBA, key: first }, { check: true });
      expect(r.result.changed).toBe(true);
      expect(r.plan?.summary).toBe(`${KEYS}: add 1 key(s)`);
      expect(r.plan?.diff).toEqual([{ path: KEYS, before: '', after: `${first}\n` }]);
      expect(await sh(conn, `test -e ${KEYS} && echo present || echo absent`)).toBe('absent\n');
    });

    it('adds keys with the right owner and mode, then reports unchanged with one remote command', async () => {
      expect((await runModule(conn, authorizedKey, { user: DBA, key: first })).result.changed).toBe(true);
      expect(await sh(conn, `cat ${KEYS}; stat -c '%U:%G %a' ${KEYS}`)).toBe(`${first}\n${DBA}:${ADMINS} 600\n`);
      commands = 0;
      expect((await runModule(conn, authorizedKey, { user: DBA, key: first })).result.changed).toBe(false);
      expect(commands).toBe(1);
      await sh(conn, `chmod 755 ${HOME}/.ssh && chmod 644 ${KEYS}`);
      const fix = await runModule(conn, authorizedKey, { user: DBA, key: first });
      expect(fix.plan?.summary).toBe(`${KEYS}: mode 0644 -> 0600; fix ${HOME}/.ssh`);
      expect(await sh(conn, `stat -c %a ${HOME}/.ssh ${KEYS}`)).toBe('700\n600\n');
      const two = await runModule(conn, authorizedKey, { user: DBA, key: second });
      expect(two.plan?.summary).toBe(`${KEYS}: add 1 key(s)`);
      expect(await sh(conn, `cat ${KEYS}`)).toBe(`${first}\n${second}\n`);
    });

    it('replaces a key whose comment changed, keeps only the given keys when exclusive, and removes keys', async () => {
      const renamed = first.replace('alice@laptop', 'alice@desktop');
      const r = await runModule(conn, authorizedKey, { user: DBA, key: renamed });
      expect(r.plan?.summary).toBe(`${KEYS}: replace 1`);
      expect(await sh(conn, `cat ${KEYS}`)).toBe(`${renamed}\n${second}\n`);
      const only = await runModule(conn, authorizedKey, { user: DBA, key: second, exclusive: true });
      expect(only.plan?.summary).toBe(`${KEYS}: remove 1 key(s)`);
      const gone = await runModule(conn, authorizedKey, { user: DBA, key: second, state: 'absent' });
      expect(gone.plan?.summary).toBe(`${KEYS}: remove 1 key(s)`);
      expect(await sh(conn, `cat ${KEYS}`)).toBe('');
      expect((await runModule(conn, authorizedKey, { user: DBA, key: second, state: 'absent' })).result.changed).toBe(false);
    });

    it('works as the user itself through become', async () => {
      const r = await runModule(conn, authorizedKey, { user: DBA, key: first }, { become: { user: DBA } });
      expect(r.result).toMatchObject({ changed: true, failed: false });
      expect(await sh(conn, `cat ${KEYS}; stat -c '%U:%G %a' ${KEYS}`)).toBe(`${first}\n${DBA}:${ADMINS} 600\n`);
    });

    it('fails clearly for a missing user or a line that is not a key', async () => {
      expect((await runModule(conn, authorizedKey, { user: 'pgsty-nobody', key: first })).result.msg).toBe(
        'authorized_key: user pgsty-nobody does not exist',
      );
      const check = await runModule(conn, authorizedKey, { user: 'pgsty-nobody', key: first }, { check: true });
      expect(check.result).toMatchObject({ changed: true, failed: false });
      expect(check.plan?.warnings).toEqual(['authorized_key: user pgsty-nobody does not exist']);
      commands = 0;
      const bad = await runModule(conn, authorizedKey, { user: DBA, key: `${first}\nssh-rsa not-base64!` });
      expect(bad.result.msg).toBe('authorized_key: key line 2 is not an SSH public key: "ssh-rsa not-base64!"');
      expect(commands).toBe(0);
      expect(argumentError(authorizedKey, { user: DBA, key: '' })?.describe()).toContain('argument "key" must NOT have fewer than 1 characters');
      expect(argumentError(authorizedKey, { user: DBA, key: first, path: '~/.ssh/x' })?.describe()).toContain('argument "path" must match pattern');
    });
  });

  describe('sudoers, and the admin user logging in and becoming root through it', () => {
    let dba: Connection | undefined;
    afterAll(async () => {
      await dba?.close();
    });

    it('in check mode shows the rule and writes nothing', async () => {
      const r = await runModule(conn, sudoers, { name: 'pgsty-admins', user: `%${ADMINS}`, mode: 'nopass' }, { check: true });
      expect(r.plan?.summary).toBe(`create ${SUDO}`);
      expect(r.plan?.diff).toEqual([{ path: SUDO, before: '', after: `%${ADMINS} ALL=(ALL) NOPASSWD: ALL\n` }]);
      expect(await sh(conn, `test -e ${SUDO} && echo present || echo absent`)).toBe('absent\n');
    });

    it('writes a validated rule file as root 0440, then reports unchanged', async () => {
      expect((await runModule(conn, sudoers, { name: 'pgsty-admins', user: `%${ADMINS}` })).result.changed).toBe(true);
      expect(await sh(conn, `stat -c '%U:%G %a' ${SUDO}`)).toBe('root:root 440\n');
      commands = 0;
      expect((await runModule(conn, sudoers, { name: 'pgsty-admins', user: `%${ADMINS}` })).result.changed).toBe(false);
      expect(commands).toBe(1);
    });

    it('lets the admin user log in with its authorized key and run modules as root through sudo', async () => {
      const pub = readFileSync(join(homedir(), '.ssh', 'id_ed25519.pub'), 'utf8');
      await runModule(conn, authorizedKey, { user: DBA, key: pub });
      dba = await connectSsh(
        { host: NODES.meta, address: NODES.meta, port: 22, user: DBA, kind: 'ssh' },
        { knownHosts: KnownHosts.load(join(homedir(), '.ssh', 'known_hosts')), trustNewHosts: false, connectTimeoutMs: 10_000 },
      );
      const whoami = await runModule(dba, command, { argv: ['id', '-un'] }, { become: { user: 'root' } });
      expect(whoami.result.stdout).toBe('root');
      const r = await runModule(dba, group, { name: 'pgsty-made-by-dba' }, { become: { user: 'root' } });
      expect(r.result.changed).toBe(true);
      expect((await runModule(dba, group, { name: 'pgsty-made-by-dba', state: 'absent' }, { become: { user: 'root' } })).result.changed).toBe(true);
    });

    it('limit mode allows only the listed commands; all mode wants a password', async () => {
      const limit = {
        name: 'pgsty-admins',
        user: `%${ADMINS}`,
        mode: 'limit' as const,
        commands: ['/usr/bin/systemctl stop postgres', '/usr/bin/id -un'],
      };
      const r = await runModule(conn, sudoers, limit);
      expect(r.plan?.diff?.[0]?.after).toBe(`%${ADMINS} ALL=NOPASSWD: /usr/bin/systemctl stop postgres\n%${ADMINS} ALL=NOPASSWD: /usr/bin/id -un\n`);
      const tried = await sh(conn, `su -s /bin/sh -c 'sudo -n /usr/bin/id -un 2>/dev/null; sudo -n /usr/bin/id -u 2>&1 || true' ${DBA}`);
      expect(tried).toMatch(/^root\n/);
      expect(tried).toContain('sudo: a password is required');
      await runModule(conn, sudoers, { name: 'pgsty-admins', user: `%${ADMINS}`, mode: 'all' });
      const denied = await runModule(dba as Connection, command, { argv: ['id', '-un'] }, { become: { user: 'root' } });
      expect(denied.result.failed).toBe(true);
      expect(denied.result.msg).toContain('password is required');
    });

    it('refuses a rule visudo rejects, keeping the old file', async () => {
      const before = await sh(conn, `cat ${SUDO}`);
      const r = await runModule(conn, sudoers, { name: 'pgsty-admins', content: `%${ADMINS} ALL=(ALL) NOPASWD ALL` });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toMatch(new RegExp(`^writing ${SUDO} failed: .*syntax error`, 's'));
      expect(await sh(conn, `cat ${SUDO}`)).toBe(before);
      expect(await sh(conn, `ls -A /etc/sudoers.d | grep -c '^\\.pgsty' || true`)).toBe('0\n');
    });

    it('mode none removes the file, showing what goes', async () => {
      const check = await runModule(conn, sudoers, { name: 'pgsty-admins', user: `%${ADMINS}`, mode: 'none' }, { check: true });
      expect(check.plan?.summary).toBe(`remove ${SUDO}`);
      expect(check.plan?.diff).toEqual([{ path: SUDO, before: `%${ADMINS} ALL=(ALL) ALL\n`, after: '' }]);
      expect((await runModule(conn, sudoers, { name: 'pgsty-admins', user: `%${ADMINS}`, mode: 'none' })).result.changed).toBe(true);
      expect(await sh(conn, `test -e ${SUDO} && echo present || echo absent`)).toBe('absent\n');
      expect((await runModule(conn, sudoers, { name: 'pgsty-admins', state: 'absent' })).result.changed).toBe(false);
    });

    it('rejects bad arguments before touching the host', async () => {
      expect(argumentError(sudoers, { name: 'admins.conf', user: 'x' })?.describe()).toContain('argument "name" must match pattern');
      expect(argumentError(sudoers, { name: 'x', user: 'x', mode: 'sometimes' })?.describe()).toContain('one of nopass, all, limit, none');
      expect(argumentError(sudoers, { name: 'x', user: 'x', commands: ['systemctl stop x'] })?.describe()).toContain(
        'argument "commands.0" must match pattern',
      );
      commands = 0;
      expect((await runModule(conn, sudoers, { name: 'x', user: 'x', mode: 'limit' })).result.msg).toBe(
        'sudoers: mode limit needs a non-empty "commands" list',
      );
      expect((await runModule(conn, sudoers, { name: 'x' })).result.msg).toBe('sudoers: "user" (or "content") is required unless state is absent');
      expect(commands).toBe(0);
    });
  });

  describe('removal', () => {
    it('removes the user with its home, then the group it used', async () => {
      const inUse = await runModule(conn, group, { name: ADMINS, state: 'absent' });
      expect(inUse.result.failed).toBe(true);
      expect(inUse.result.msg).toContain(`removing group ${ADMINS} failed: groupdel: cannot remove the primary group of user '${DBA}'`);
      const check = await runModule(conn, user, { name: DBA, state: 'absent', remove: true }, { check: true });
      expect(check.plan?.summary).toBe(`remove user ${DBA} (uid 4711) and ${HOME}`);
      expect(await sh(conn, `getent passwd ${DBA} >/dev/null && echo present`)).toBe('present\n');
      await sh(conn, `pkill -u ${DBA} || true`);
      expect((await runModule(conn, user, { name: DBA, state: 'absent', remove: true })).result.changed).toBe(true);
      expect(await sh(conn, `getent passwd ${DBA} || test -e ${HOME} || echo gone`)).toBe('gone\n');
      expect((await runModule(conn, user, { name: DBA, state: 'absent' })).result.changed).toBe(false);
      expect((await runModule(conn, group, { name: ADMINS, state: 'absent' })).result.changed).toBe(true);
      expect((await runModule(conn, group, { name: ADMINS, state: 'absent' })).result.changed).toBe(false);
    });
  });
});
