import { describe, expect, it } from 'vitest';
import { stat, statScript } from '../../modules/stat.ts';
import { fakeHost, runModule } from './fake-host.ts';

const SHA = 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c';
/** What GNU stat --printf prints on Debian 12 for the fields statScript asks for. */
const fields = (...values: (string | number)[]): string => values.map((v) => `${v}\0`).join('');

describe('stat', () => {
  it('describes a regular file from one command: owner, mode, size, times and sha256', async () => {
    const out = `${fields('regular file', 'root', 'root', 0, 0, 644, 1524, 1711111111, 1711111222, 1, 393218, 2049)}\0\0${SHA}\n`;
    const host = fakeHost().on(statScript('/etc/passwd', false, true), { stdout: out });
    const { result } = await runModule(stat, { path: '/etc/passwd' }, host);
    expect(result).toEqual({
      changed: false,
      failed: false,
      stat: {
        exists: true,
        path: '/etc/passwd',
        type: 'file',
        isreg: true,
        isdir: false,
        islnk: false,
        owner: 'root',
        group: 'root',
        pw_name: 'root',
        gr_name: 'root',
        uid: 0,
        gid: 0,
        mode: '0644',
        size: 1524,
        mtime: 1711111111,
        atime: 1711111222,
        nlink: 1,
        inode: 393218,
        dev: 2049,
        checksum: SHA,
      },
    });
    expect(host.sent).toHaveLength(1);
  });

  it('describes a symlink itself unless follow, with where it points', async () => {
    const out = `${fields('symbolic link', 'root', 'root', 0, 0, 777, 27, 1700000000, 1700000000, 1, 12, 2049)}../usr/share/zoneinfo/Etc/UTC\0/usr/share/zoneinfo/Etc/UTC\0`;
    const host = fakeHost().on(statScript('/etc/localtime', false, false), { stdout: out });
    const { result } = await runModule(stat, { path: '/etc/localtime', get_checksum: false }, host);
    expect(result.stat).toMatchObject({
      type: 'link',
      islnk: true,
      mode: '0777',
      link_target: '../usr/share/zoneinfo/Etc/UTC',
      lnk_source: '/usr/share/zoneinfo/Etc/UTC',
    });
    expect(result.stat).not.toHaveProperty('checksum');
    expect(statScript('/etc/localtime', true, true)).toContain("stat -L --printf '%F");
  });

  it('reports a missing path as exists false, in check mode too (it only reads)', async () => {
    const host = fakeHost({ check: true }).on(statScript('/pg/data/PG_VERSION', false, true), { stdout: 'absent' });
    expect((await runModule(stat, { path: '/pg/data/PG_VERSION' }, host)).result).toEqual({
      changed: false,
      failed: false,
      stat: { exists: false, path: '/pg/data/PG_VERSION' },
    });
    expect(host.sent).toHaveLength(1);
  });

  it('fails when the path cannot be looked at (not the same as missing)', async () => {
    const host = fakeHost().on(statScript('/root/.pgpass', false, true), {
      code: 1,
      stderr: "stat: cannot statx '/root/.pgpass': Permission denied\n",
    });
    expect((await runModule(stat, { path: '/root/.pgpass' }, host)).result).toMatchObject({
      failed: true,
      msg: "stat /root/.pgpass failed: stat: cannot statx '/root/.pgpass': Permission denied",
    });
  });
});
