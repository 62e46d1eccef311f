import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { slurp } from '../../modules/slurp.ts';
import { stat } from '../../modules/stat.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-stat-test';

describe('stat and slurp modules on a sandbox node', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES['node-2']);
    await sh(conn, `rm -rf ${DIR} && mkdir -p ${DIR}/private && printf 'a = 1\\n' > ${DIR}/app.conf && chmod 0640 ${DIR}/app.conf`);
    await sh(conn, `ln -s app.conf ${DIR}/link && ln -s nowhere ${DIR}/dangling && chmod 0700 ${DIR}/private && touch ${DIR}/private/x`);
  });
  afterAll(async () => {
    await sh(conn, `rm -rf ${DIR}`);
    await conn.close();
  });

  describe('stat', () => {
    it('describes a file with its sha256 and never reports a change', async () => {
      const r = await runModule(conn, stat, { path: `${DIR}/app.conf` });
      expect(r.result.changed).toBe(false);
      const [sum, mtime] = (await sh(conn, `sha256sum < ${DIR}/app.conf | cut -d' ' -f1; stat -c %Y ${DIR}/app.conf`)).trim().split('\n');
      expect(r.result.stat).toMatchObject({
        exists: true,
        path: `${DIR}/app.conf`,
        type: 'file',
        isreg: true,
        isdir: false,
        islnk: false,
        owner: 'root',
        pw_name: 'root',
        group: 'root',
        uid: 0,
        mode: '0640',
        size: 6,
        mtime: Number(mtime),
        nlink: 1,
        checksum: sum,
      });
    });

    it('returns the same data in check mode', async () => {
      const r = await runModule(conn, stat, { path: `${DIR}/app.conf` }, { check: true });
      expect(r.result.changed).toBe(false);
      expect((r.result.stat as Record<string, unknown>).checksum).toMatch(/^[0-9a-f]{64}$/);
    });

    it('describes a directory, a link or what it points to, and a missing path', async () => {
      expect((await runModule(conn, stat, { path: DIR })).result.stat).toMatchObject({ exists: true, type: 'directory', isdir: true });
      const link = (await runModule(conn, stat, { path: `${DIR}/link` })).result.stat as Record<string, unknown>;
      expect(link).toMatchObject({ type: 'link', islnk: true, link_target: 'app.conf', lnk_source: `${DIR}/app.conf` });
      expect(link.checksum).toBeUndefined();
      expect((await runModule(conn, stat, { path: `${DIR}/link`, follow: true })).result.stat).toMatchObject({ type: 'file', mode: '0640', size: 6 });
      expect((await runModule(conn, stat, { path: `${DIR}/dangling` })).result.stat).toMatchObject({
        exists: true,
        type: 'link',
        link_target: 'nowhere',
      });
      expect((await runModule(conn, stat, { path: `${DIR}/dangling`, follow: true })).result.stat).toEqual({
        exists: false,
        path: `${DIR}/dangling`,
      });
      expect((await runModule(conn, stat, { path: `${DIR}/nope` })).result.stat).toEqual({ exists: false, path: `${DIR}/nope` });
      expect((await runModule(conn, stat, { path: `${DIR}/app.conf/x` })).result.stat).toEqual({ exists: false, path: `${DIR}/app.conf/x` });
    });

    it('skips the checksum when asked or when the file is unreadable', async () => {
      expect((await runModule(conn, stat, { path: `${DIR}/app.conf`, get_checksum: false })).result.stat).not.toHaveProperty('checksum');
      const r = await runModule(conn, stat, { path: `${DIR}/app.conf` }, { become: { user: 'nobody' } });
      expect(r.result.stat).toMatchObject({ exists: true, mode: '0640' });
      expect(r.result.stat).not.toHaveProperty('checksum');
    });

    it('fails, rather than saying missing, when a directory cannot be searched', async () => {
      const r = await runModule(conn, stat, { path: `${DIR}/private/x` }, { become: { user: 'nobody' } });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toContain(`stat ${DIR}/private/x failed`);
      expect(r.result.msg).toContain('Permission denied');
    });

    it('rejects bad arguments before touching the host', () => {
      expect(argumentError(stat, { path: 'relative' })?.describe()).toContain('argument "path" must match pattern');
      expect(argumentError(stat, { path: '/x', checksum_algorithm: 'sha1' })?.describe()).toContain('unknown argument "checksum_algorithm"');
    });
  });

  describe('slurp', () => {
    it('returns the content of a file, decoded, without changing anything', async () => {
      const r = await runModule(conn, slurp, { src: `${DIR}/app.conf` });
      expect(r.result).toMatchObject({ changed: false, content: 'a = 1\n', content_base64: 'YSA9IDEK', source: `${DIR}/app.conf` });
    });

    it('keeps any bytes intact in content_base64', async () => {
      await sh(conn, `printf '\\000\\377\\n' > ${DIR}/bin`);
      expect((await runModule(conn, slurp, { src: `${DIR}/bin` })).result.content_base64).toBe(Buffer.from([0, 255, 10]).toString('base64'));
    });

    it('fails naming a missing file', async () => {
      const r = await runModule(conn, slurp, { src: `${DIR}/missing` });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toBe(`reading ${DIR}/missing failed: base64: ${DIR}/missing: No such file or directory`);
    });

    it('rejects bad arguments before touching the host', () => {
      expect(argumentError(slurp, { path: '/x' })?.describe()).toContain('missing required argument "src"');
    });
  });
});
