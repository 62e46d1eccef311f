import { describe, expect, it } from 'vitest';
import { describeChange, parseKeyLine, updatedContent, wantedKeys } from '../../modules/authorized-key.ts';
import { parseGroupEntry } from '../../modules/group.ts';
import { renderSudoers } from '../../modules/sudoers.ts';
import { parseUserRead, userChanges } from '../../modules/user.ts';

const A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIaaaa alice@laptop';
const B = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABbbbb= bob@ci';

describe('authorized_key parsing and planning', () => {
  it('parses keys with and without options, keeping quoted blanks in options', () => {
    expect(parseKeyLine(A)).toEqual({ type: 'ssh-ed25519', blob: 'AAAAC3NzaC1lZDI1NTE5AAAAIaaaa', comment: 'alice@laptop' });
    expect(parseKeyLine(`from="10.0.0.1",command="echo \\"a b\\"" ${B}`)).toEqual({
      options: 'from="10.0.0.1",command="echo \\"a b\\""',
      type: 'ssh-rsa',
      blob: 'AAAAB3NzaC1yc2EAAAADAQABbbbb=',
      comment: 'bob@ci',
    });
    expect(parseKeyLine('ecdsa-sha2-nistp256 AAAAE2Vj')).toEqual({ type: 'ecdsa-sha2-nistp256', blob: 'AAAAE2Vj' });
    expect(parseKeyLine('# comment')).toBeUndefined();
    expect(parseKeyLine('ssh-rsa not!base64')).toBeUndefined();
    expect(parseKeyLine('hello world')).toBeUndefined();
  });

  it('takes several keys one per line and refuses anything else', () => {
    expect(wantedKeys(`${A}\n\n# note\n${B}\n`).map((k) => k.line)).toEqual([A, B]);
    expect(() => wantedKeys('# only a comment')).toThrow('"key" holds no public key line');
    expect(() => wantedKeys(`${A}\nssh-rsa`)).toThrow('key line 2 is not an SSH public key: "ssh-rsa"');
  });

  it('adds, replaces in place, keeps exclusively and removes by blob', () => {
    const keys = (text: string) => wantedKeys(text);
    const file = `# managed by hand\n${A}\n`;
    expect(updatedContent(file, keys(B), 'present', false)).toBe(`# managed by hand\n${A}\n${B}\n`);
    const renamed = A.replace('laptop', 'desktop');
    expect(updatedContent(`${A}\n${B}\n`, keys(renamed), 'present', false)).toBe(`${renamed}\n${B}\n`);
    expect(updatedContent(`${A}\n${B}\n`, keys(B), 'present', true)).toBe(`${B}\n`);
    expect(updatedContent(`${A}\n${B}\n`, keys(renamed), 'absent', false)).toBe(`${B}\n`);
    expect(updatedContent(`${A}`, keys(A), 'absent', false)).toBe('');
    expect(updatedContent('', keys(A), 'present', false)).toBe(`${A}\n`);
  });

  it('describes what changes', () => {
    expect(describeChange(`${A}\n`, `${A}\n${B}\n`)).toBe('add 1 key(s)');
    expect(describeChange(`${A}\n${B}\n`, `${A.replace('laptop', 'x')}\n`)).toBe('replace 1, remove 1 key(s)');
    expect(describeChange(`${A}\n`, `${A}\n`)).toBe('rewrite');
  });
});

describe('user planning', () => {
  const output = [
    'passwd dba:x:4711:4711:Admin, ops:/home/dba:/bin/bash',
    'primary admin',
    'groups admin wheel docker',
    'shadow $6$salt$hash',
    'group admin admin:x:4711:',
    'group 4711 admin:x:4711:',
    'group wheel wheel:x:10:dba',
    '',
  ].join('\n');

  it('parses one read: passwd entry, groups without the primary one, hash and referenced groups', () => {
    const read = parseUserRead(output);
    expect(read.user).toEqual({
      uid: 4711,
      gid: 4711,
      comment: 'Admin, ops',
      home: '/home/dba',
      shell: '/bin/bash',
      group: 'admin',
      groups: ['wheel', 'docker'],
      password: '$6$salt$hash',
    });
    expect(read.groups.get('4711')).toEqual({ name: 'admin', gid: 4711 });
    expect(parseUserRead('absent\ngroup dba dba:x:1000:\n').user).toBeUndefined();
  });

  it('plans only the differences, with groups by number or name, and never shows the hash', () => {
    const read = parseUserRead(output);
    const user = read.user!;
    expect(userChanges({ name: 'dba', group: '4711', groups: ['wheel', 'docker', 'admin'], password: '$6$salt$hash' }, user, read)).toEqual({
      words: [],
      options: [],
      password: false,
    });
    expect(userChanges({ name: 'dba', uid: 4712, groups: ['wheel'], shell: '/bin/sh', password: '$6$new' }, user, read)).toEqual({
      words: ['uid 4711 -> 4712', 'groups -docker', 'shell "/bin/bash" -> "/bin/sh"', 'password'],
      options: ['-u 4712', '-G wheel', '-s /bin/sh'],
      password: true,
    });
    expect(userChanges({ name: 'dba', groups: ['wheel', 'audio'], append: true }, user, read).options).toEqual(['-a -G audio']);
    expect(userChanges({ name: 'dba', groups: [] }, user, read).options).toEqual([`-G ''`]);
    expect(userChanges({ name: 'dba', password: '$6$new', update_password: 'on_create' }, user, read).password).toBe(false);
    expect(userChanges({ name: 'dba', comment: "it's" }, user, read).options).toEqual([`-c 'it'"'"'s'`]);
  });

  it('parses group entries', () => {
    expect(parseGroupEntry('admin:x:4711:dba,ops\n')).toEqual({ name: 'admin', gid: 4711, members: ['dba', 'ops'] });
    expect(parseGroupEntry('garbage')).toBeUndefined();
  });
});

describe('sudoers rendering', () => {
  it('renders Pigsty modes', () => {
    expect(renderSudoers({ name: 'dba', user: '%admin' })).toBe('%admin ALL=(ALL) NOPASSWD: ALL\n');
    expect(renderSudoers({ name: 'dba', user: 'dba', mode: 'all' })).toBe('dba ALL=(ALL) ALL\n');
    expect(renderSudoers({ name: 'pg', user: '%postgres', mode: 'limit', commands: ['/bin/systemctl stop postgres', '/bin/echo a,b:c=d'] })).toBe(
      '%postgres ALL=NOPASSWD: /bin/systemctl stop postgres\n%postgres ALL=NOPASSWD: /bin/echo a\\,b\\:c\\=d\n',
    );
    expect(renderSudoers({ name: 'dba', user: 'dba', mode: 'none' })).toBeUndefined();
    expect(renderSudoers({ name: 'dba', state: 'absent' })).toBeUndefined();
    expect(renderSudoers({ name: 'x', content: 'Defaults !requiretty' })).toBe('Defaults !requiretty\n');
  });

  it('refuses contradictory arguments', () => {
    expect(() => renderSudoers({ name: 'x', content: 'a', user: 'b' })).toThrow('either "content" or "user"');
    expect(() => renderSudoers({ name: 'x', user: 'b', commands: ['/bin/true'] })).toThrow('"commands" only applies to mode limit');
  });
});
