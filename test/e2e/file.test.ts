import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { file } from '../../modules/file.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-file-test';
const exists = (conn: Connection, path: string) => sh(conn, `test -e '${path}' || test -L '${path}' && echo yes || echo no`);

describe('file module on a sandbox node', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES['node-2']);
    await sh(conn, `rm -rf ${DIR} /tmp/pgsty-file-become && mkdir -p ${DIR}`);
  });
  afterAll(async () => {
    await sh(conn, `rm -rf ${DIR} /tmp/pgsty-file-become`);
    await conn.close();
  });

  describe('state: directory', () => {
    const dir = `${DIR}/data/pg`;

    it('in check mode reports the directories it would create and creates none', async () => {
      const r = await runModule(conn, file, { path: dir, state: 'directory', owner: 'nobody', mode: '0750' }, { check: true });
      expect(r.result.changed).toBe(true);
      expect(r.plan?.summary).toBe(`create directory ${dir} (and 1 parent(s))`);
      expect(r.plan?.diff).toEqual([{ path: dir, before: 'state: absent\n', after: 'state: directory\nowner: nobody\nmode: 0750\n' }]);
      expect(await exists(conn, `${DIR}/data`)).toBe('no\n');
    });

    it('creates it with its parents, each with the attributes, then reports unchanged', async () => {
      expect((await runModule(conn, file, { path: dir, state: 'directory', owner: 'nobody', mode: '0750' })).result.changed).toBe(true);
      expect(await sh(conn, `stat -c '%U %a' ${DIR}/data ${dir}`)).toBe('nobody 750\nnobody 750\n');
      expect((await runModule(conn, file, { path: `${dir}/`, state: 'directory', owner: 'nobody', mode: 0o750 })).result.changed).toBe(false);
    });

    it('fixes only the attributes that differ on an existing directory', async () => {
      const args = { path: dir, state: 'directory' as const, owner: '65534', group: 'nogroup', mode: '0700' };
      const r = await runModule(conn, file, args);
      expect(r.plan?.summary).toBe(`${dir}: owner nobody:root -> 65534:nogroup, mode 0750 -> 0700`);
      expect(await sh(conn, `stat -c '%U:%G %a' ${dir}`)).toBe('nobody:nogroup 700\n');
      expect((await runModule(conn, file, args)).result.changed).toBe(false);
    });

    it('sets owner and mode on a whole tree with recurse, planning exactly what differs', async () => {
      const tree = `${DIR}/tree`;
      await sh(
        conn,
        `mkdir -p ${tree}/sub && touch ${tree}/a "${tree}/sub/it's \\$(x)" && chmod 0600 ${tree}/a && ln -s /etc/hostname ${tree}/link && chown nobody ${tree}/a`,
      );
      const args = { path: tree, state: 'directory' as const, recurse: true, owner: 'nobody', mode: '0600' };
      const check = await runModule(conn, file, args, { check: true });
      expect(check.result.changed).toBe(true);
      // root: owner and mode; below: sub, the odd file and the link need an owner; sub and the odd file a mode (not a, not the link).
      expect(check.plan?.summary).toBe(
        `${tree}: owner root:root -> nobody:root, mode 0755 -> 0600, owner of 3 path(s) below -> nobody, mode of 2 path(s) below -> 0600`,
      );
      expect(await sh(conn, `stat -c '%U' ${tree}/sub`)).toBe('root\n');
      expect((await runModule(conn, file, args)).result.changed).toBe(true);
      expect(await sh(conn, `find ${tree} -printf '%u %m %P\\n' | sort`)).toBe(
        ['nobody 600 ', 'nobody 600 a', 'nobody 600 sub', "nobody 600 sub/it's $(x)", 'nobody 777 link'].sort().join('\n') + '\n',
      );
      expect(await sh(conn, 'stat -c %U /etc/hostname')).toBe('root\n');
      expect((await runModule(conn, file, args)).result.changed).toBe(false);
    });

    it('fails when a file is in the way', async () => {
      await sh(conn, `touch ${DIR}/plain`);
      const r = await runModule(conn, file, { path: `${DIR}/plain/sub`, state: 'directory' });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toBe(`cannot create ${DIR}/plain/sub: ${DIR}/plain is a file, not a directory`);
    });
  });

  describe('state: file and touch', () => {
    const path = `${DIR}/touched`;

    it('touch creates a missing file, then only fixes attributes and keeps its timestamps', async () => {
      const check = await runModule(conn, file, { path, state: 'touch', mode: '0640' }, { check: true });
      expect(check.plan?.summary).toBe(`create ${path}`);
      expect(await exists(conn, path)).toBe('no\n');
      expect((await runModule(conn, file, { path, state: 'touch', mode: '0640' })).result.changed).toBe(true);
      await sh(conn, `touch -d '2020-01-01 00:00' ${path}`);
      expect((await runModule(conn, file, { path, state: 'touch', mode: '0640' })).result.changed).toBe(false);
      const r = await runModule(conn, file, { path, state: 'touch', mode: '0600' });
      expect(r.plan?.summary).toBe(`${path}: mode 0640 -> 0600`);
      expect(await sh(conn, `stat -c '%a %y' ${path}`)).toMatch(/^600 2020-01-01 00:00:00/);
    });

    it('touch fails when the parent directory is missing', async () => {
      const r = await runModule(conn, file, { path: `${DIR}/nope/x`, state: 'touch' });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toBe(`cannot create ${DIR}/nope/x: directory ${DIR}/nope does not exist`);
    });

    it('state file changes attributes of an existing file and refuses to create one', async () => {
      const r = await runModule(conn, file, { path, state: 'file', owner: 'nobody' });
      expect(r.result.changed).toBe(true);
      expect(r.plan?.diff).toEqual([
        { path, before: 'state: file\nowner: root\ngroup: root\nmode: 0600\n', after: 'state: file\nowner: nobody\ngroup: root\nmode: 0600\n' },
      ]);
      const missing = await runModule(conn, file, { path: `${DIR}/missing`, state: 'file' });
      expect(missing.result.failed).toBe(true);
      expect(missing.result.msg).toContain(`${DIR}/missing does not exist`);
    });

    it('fails with the chown error for an owner that does not exist', async () => {
      const r = await runModule(conn, file, { path, owner: 'pgsty-no-such-user' });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toContain(`changing attributes of ${path} failed: chown: invalid user`);
    });
  });

  describe('state: link and hard', () => {
    const link = `${DIR}/current`;

    it('creates a symlink, keeps it, and retargets it atomically', async () => {
      await sh(conn, `mkdir -p ${DIR}/v1 ${DIR}/v2`);
      const check = await runModule(conn, file, { path: link, state: 'link', src: 'v1' }, { check: true });
      expect(check.plan?.summary).toBe(`link ${link} -> v1`);
      expect(await exists(conn, link)).toBe('no\n');
      expect((await runModule(conn, file, { path: link, state: 'link', src: 'v1' })).result.changed).toBe(true);
      expect(await sh(conn, `readlink ${link}`)).toBe('v1\n');
      expect((await runModule(conn, file, { path: link, state: 'link', src: 'v1' })).result.changed).toBe(false);
      const r = await runModule(conn, file, { path: link, state: 'link', src: `${DIR}/v2`, owner: 'nobody' });
      expect(r.plan?.summary).toBe(`link ${link} -> ${DIR}/v2 (was -> v1)`);
      expect(await sh(conn, `readlink ${link}; stat -c %U ${link}`)).toBe(`${DIR}/v2\nnobody\n`);
    });

    it('refuses a missing target or replacing a file unless forced', async () => {
      const missing = await runModule(conn, file, { path: `${DIR}/dangling`, state: 'link', src: '/nonexistent' });
      expect(missing.result.msg).toBe('link target /nonexistent does not exist (set force to link to it anyway)');
      expect((await runModule(conn, file, { path: `${DIR}/dangling`, state: 'link', src: '/nonexistent', force: true })).result.changed).toBe(true);
      await sh(conn, `echo data > ${DIR}/occupied`);
      const refused = await runModule(conn, file, { path: `${DIR}/occupied`, state: 'link', src: 'v1' });
      expect(refused.result.msg).toBe(`${DIR}/occupied exists and is a file; set force to replace it with a link`);
      expect((await runModule(conn, file, { path: `${DIR}/occupied`, state: 'link', src: 'v1', force: true })).result.changed).toBe(true);
      expect(await sh(conn, `readlink ${DIR}/occupied`)).toBe('v1\n');
    });

    it('makes a hard link to the same inode, then reports unchanged', async () => {
      await sh(conn, `echo x > ${DIR}/orig`);
      const args = { path: `${DIR}/hard`, state: 'hard' as const, src: `${DIR}/orig` };
      expect((await runModule(conn, file, args)).result.changed).toBe(true);
      expect(await sh(conn, `stat -c %i ${DIR}/orig ${DIR}/hard | uniq | wc -l`)).toBe('1\n');
      expect((await runModule(conn, file, args)).result.changed).toBe(false);
    });
  });

  describe('state: absent', () => {
    it('removes a tree, then reports unchanged', async () => {
      const check = await runModule(conn, file, { path: `${DIR}/tree`, state: 'absent' }, { check: true });
      expect(check.plan?.summary).toBe(`remove directory ${DIR}/tree`);
      expect(await exists(conn, `${DIR}/tree`)).toBe('yes\n');
      expect((await runModule(conn, file, { path: `${DIR}/tree`, state: 'absent' })).result.changed).toBe(true);
      expect(await exists(conn, `${DIR}/tree`)).toBe('no\n');
      expect((await runModule(conn, file, { path: `${DIR}/tree`, state: 'absent' })).result.changed).toBe(false);
    });

    it('removes a symlink, not what it points to', async () => {
      expect((await runModule(conn, file, { path: `${DIR}/current`, state: 'absent' })).plan?.summary).toBe(`remove link ${DIR}/current`);
      expect(await exists(conn, `${DIR}/v2`)).toBe('yes\n');
    });
  });

  it('handles hostile path names as data', async () => {
    const odd = `${DIR}/it's $(touch /tmp/pwned) ; x`;
    expect((await runModule(conn, file, { path: odd, state: 'directory' })).result.changed).toBe(true);
    expect((await runModule(conn, file, { path: odd, state: 'directory' })).result.changed).toBe(false);
    expect(await sh(conn, 'test -e /tmp/pwned && echo pwned || echo safe')).toBe('safe\n');
  });

  it('works through become as an unprivileged user', async () => {
    const become = { user: 'nobody' };
    const path = '/tmp/pgsty-file-become/a';
    expect((await runModule(conn, file, { path, state: 'directory', mode: '0700' }, { become })).result.changed).toBe(true);
    expect(await sh(conn, `stat -c '%U %a' ${path}`)).toBe('nobody 700\n');
    expect((await runModule(conn, file, { path, state: 'directory', mode: '0700' }, { become })).result.changed).toBe(false);
    const denied = await runModule(conn, file, { path: `${DIR}/by-nobody`, state: 'touch' }, { become });
    expect(denied.result.failed).toBe(true);
    expect(denied.result.msg).toContain('Permission denied');
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(file, { path: '/x', state: 'present' })?.describe()).toContain(
      'argument "state" must be equal to one of the allowed values: one of directory, file, link, absent, touch, hard',
    );
    expect(argumentError(file, { path: '/x', state: 'link' })?.describe()).toContain('missing required argument "src"');
    expect(argumentError(file, { path: '/x', state: 'file', recurse: true })?.describe()).toContain(
      'argument "state" must be equal to one of the allowed values: one of directory',
    );
    expect(argumentError(file, { path: 'x', state: 'directory' })?.describe()).toContain('argument "path" must match pattern');
    expect(argumentError(file, { path: '/x', mode: 'u+x' })?.describe()).toContain('"mode"');
  });
});
