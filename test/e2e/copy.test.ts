import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { copy } from '../../modules/copy.ts';
import { sha256 } from '../../modules/file-state.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-copy-test';

describe('copy module on a sandbox node', () => {
  let conn: Connection;
  const local = mkdtempSync(join(tmpdir(), 'pgsty-copy-'));
  beforeAll(async () => {
    conn = await connectNode(NODES['node-2']);
    await sh(conn, `rm -rf ${DIR} && mkdir -p ${DIR}`);
  });
  afterAll(async () => {
    rmSync(local, { recursive: true, force: true });
    await sh(conn, `rm -rf ${DIR}`);
    await conn.close();
  });

  const file = `${DIR}/app.conf`;

  it('in check mode reports the creation with a diff and writes nothing', async () => {
    const r = await runModule(conn, copy, { dest: file, content: 'a = 1\n', mode: '0640' }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`create ${file}`);
    expect(r.plan?.diff).toEqual([{ path: file, before: '', after: 'a = 1\n' }]);
    expect(await sh(conn, `test -e ${file} && echo present || echo absent`)).toBe('absent\n');
  });

  it('creates the file, then reports unchanged', async () => {
    expect((await runModule(conn, copy, { dest: file, content: 'a = 1\n', mode: '0640' })).result.changed).toBe(true);
    expect(await sh(conn, `cat ${file}; stat -c %a ${file}`)).toBe('a = 1\n640\n');
    expect((await runModule(conn, copy, { dest: file, content: 'a = 1\n', mode: '0640' })).result.changed).toBe(false);
  });

  it('changes only the mode when only the mode differs, without a content diff', async () => {
    const r = await runModule(conn, copy, { dest: file, content: 'a = 1\n', mode: '0600' });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`${file}: mode 0640 -> 0600`);
    expect(r.plan?.diff).toBeUndefined();
    expect(await sh(conn, `stat -c %a ${file}`)).toBe('600\n');
  });

  it('keeps a backup and leaves no temp file behind', async () => {
    await runModule(conn, copy, { dest: file, content: 'a = 2\n', backup: true });
    expect(await sh(conn, `cat ${file}; stat -c %a ${file}`)).toBe('a = 2\n600\n');
    expect(await sh(conn, `ls -A ${DIR} | grep -c '^app.conf.*~$'`)).toBe('1\n');
    expect(await sh(conn, `ls -A ${DIR} | grep -c '^\\.app.conf' || true`)).toBe('0\n');
  });

  it('refuses content its validate command rejects, keeping the old file', async () => {
    const r = await runModule(conn, copy, { dest: file, content: 'broken\n', validate: 'grep -q "^a = " %s' });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toContain(`writing ${file} failed`);
    expect(await sh(conn, `cat ${file}`)).toBe('a = 2\n');
    expect(await sh(conn, `ls -A ${DIR} | grep -c '^\\.app.conf' || true`)).toBe('0\n');
  });

  it('writes hostile content and paths literally', async () => {
    const odd = `${DIR}/it's $(x) ; y`;
    const content = "x\"; DROP DATABASE postgres; --\n$(touch /tmp/pwned)\n'`id`'\n";
    await runModule(conn, copy, { dest: odd, content });
    expect(await sh(conn, `cat "${DIR}/it's \\$(x) ; y"`)).toBe(content);
    expect(await sh(conn, 'test -e /tmp/pwned && echo pwned || echo safe')).toBe('safe\n');
  });

  it('copies a controller file given as src, then reports unchanged', async () => {
    const src = join(local, 'motd');
    writeFileSync(src, 'welcome\n');
    const dest = `${DIR}/motd`;
    const check = await runModule(conn, copy, { src, dest }, { check: true });
    expect(check.plan?.diff).toEqual([{ path: dest, before: '', after: 'welcome\n' }]);
    expect(await sh(conn, `test -e ${dest} && echo present || echo absent`)).toBe('absent\n');
    expect((await runModule(conn, copy, { src, dest, mode: 644 })).result.changed).toBe(true);
    expect(await sh(conn, `cat ${dest}`)).toBe('welcome\n');
    expect((await runModule(conn, copy, { src, dest, mode: 644 })).result.changed).toBe(false);
  });

  it('copies binary files byte for byte and says why there is no diff', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 0, 128]);
    const src = join(local, 'blob.bin');
    writeFileSync(src, bytes);
    const dest = `${DIR}/blob.bin`;
    const r = await runModule(conn, copy, { src, dest });
    expect(r.plan?.summary).toBe(`create ${dest} (binary or larger than 100 KiB, no diff)`);
    expect(r.plan?.diff).toBeUndefined();
    expect(await sh(conn, `sha256sum < ${dest} | cut -d' ' -f1`)).toBe(`${sha256(bytes)}\n`);
    expect((await runModule(conn, copy, { src, dest })).result.changed).toBe(false);
  });

  it('fails naming a controller src that does not exist', async () => {
    const r = await runModule(conn, copy, { src: join(local, 'missing'), dest: `${DIR}/x` });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toContain(`reading ${join(local, 'missing')} on the controller failed`);
  });

  it('copies a file already on the host with remote_src, with a diff, and only once', async () => {
    const src = `${DIR}/remote-src.conf`;
    const dest = `${DIR}/remote-dest.conf`;
    await sh(conn, `printf 'x = 1\\n' > ${src} && printf 'x = 0\\n' > ${dest}`);
    const check = await runModule(conn, copy, { src, dest, remote_src: true, mode: '0600' }, { check: true });
    expect(check.result.changed).toBe(true);
    expect(check.plan?.summary).toBe(`update ${dest} from ${src} (mode 0644 -> 0600)`);
    expect(check.plan?.diff).toEqual([{ path: dest, before: 'x = 0\n', after: 'x = 1\n' }]);
    expect(await sh(conn, `cat ${dest}`)).toBe('x = 0\n');
    expect((await runModule(conn, copy, { src, dest, remote_src: true, mode: '0600' })).result.changed).toBe(true);
    expect(await sh(conn, `cat ${dest}; stat -c %a ${dest}`)).toBe('x = 1\n600\n');
    expect((await runModule(conn, copy, { src, dest, remote_src: true, mode: '0600' })).result.changed).toBe(false);
  });

  it('fails when the remote src does not exist', async () => {
    const r = await runModule(conn, copy, { src: `${DIR}/nope`, dest: `${DIR}/y`, remote_src: true });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe(`remote src ${DIR}/nope does not exist`);
  });

  it('writes through become as an unprivileged user, owning what it creates', async () => {
    const dir = '/tmp/pgsty-copy-become';
    await sh(conn, `rm -rf ${dir} && mkdir -m 0755 ${dir} && chown nobody ${dir}`);
    const become = { user: 'nobody' };
    try {
      expect((await runModule(conn, copy, { dest: `${dir}/a.conf`, content: 'x\n', mode: '0600' }, { become })).result.changed).toBe(true);
      expect(await sh(conn, `stat -c '%U %a' ${dir}/a.conf`)).toBe('nobody 600\n');
      expect((await runModule(conn, copy, { dest: `${dir}/a.conf`, content: 'x\n', mode: '0600' }, { become })).result.changed).toBe(false);
      const denied = await runModule(conn, copy, { dest: `${DIR}/by-nobody`, content: 'x\n' }, { become });
      expect(denied.result.failed).toBe(true);
      expect(denied.result.msg).toContain(`writing ${DIR}/by-nobody failed`);
    } finally {
      await sh(conn, `rm -rf ${dir}`);
    }
  });

  it('rejects bad arguments before touching the host', () => {
    const neither = argumentError(copy, { dest: '/x' })?.describe();
    expect(neither).toContain('missing required argument "content"');
    expect(neither).toContain('missing required argument "src"');
    expect(argumentError(copy, { dest: '/x', content: '', src: '/y' })?.describe()).toContain('must match exactly one schema in oneOf');
    expect(argumentError(copy, { dest: '/x', content: '', remote_src: true })?.describe()).toContain('missing required argument "src"');
    expect(argumentError(copy, { dest: '/x', src: 'relative' })?.describe()).toContain('argument "src" must match pattern');
    expect(argumentError(copy, { dest: 'relative/path', content: '' })?.describe()).toContain('argument "dest" must match pattern');
    expect(argumentError(copy, { dest: '/x', content: '', mode: 'rw-r--r--' })?.describe()).toContain('"mode"');
    expect(argumentError(copy, { dest: '/x', content: '', owner: 'root', extra: 1 })?.describe()).toContain('unknown argument "extra"');
  });
});
