import { describe, expect, it } from 'vitest';
import { file } from '../../modules/file.ts';
import { SAFE_FN } from '../../modules/file-state.ts';
import { fakeHost, runModule } from './fake-host.ts';

/** One entry as find -printf prints it: type, owner, group, uid, gid, mode, dev:inode, links, link target, path. */
const entry = (type: string, path: string, mode: string, owner = 'root', id = 0, target = ''): string =>
  `${type}\0${owner}\0${owner}\0${id}\0${id}\0${mode}\x002049:${path.length}\x001\0${target}\0${path}\0`;
/** readCommand's output: no untrusted link, no followed link, then the entries (or A and the nearest ancestor). */
const read = (main: string, extra = ''): string => `\x01\x01${main}\x01${extra}`;
const READ = /\np=\/pg\/data\n/;

describe('file', () => {
  it('leaves a directory with the wanted owner and mode alone: one read', async () => {
    const host = fakeHost().on(READ, { stdout: read(entry('d', '/pg/data', '700', 'postgres', 543)) });
    expect((await runModule(file, { path: '/pg/data', state: 'directory', owner: 'postgres', mode: '0700' }, host)).result).toEqual({
      changed: false,
      failed: false,
    });
    expect(host.sent).toHaveLength(1);
  });

  it('creates a missing directory and its parent under the nearest existing one, each with the attributes', async () => {
    const script = [
      'set -e',
      SAFE_FN,
      'go /',
      'mkdir -- pg',
      'chown -h postgres -- pg',
      'sm 0700 pg',
      'go /pg',
      'mkdir -- data',
      'chown -h postgres -- data',
      'sm 0700 data',
    ].join('\n');
    const host = fakeHost()
      .on(READ, { stdout: read(`A\0${entry('d', '/', '755')}`) })
      .on(script);
    const { plan } = await runModule(file, { path: '/pg/data', state: 'directory', owner: 'postgres', mode: '0700' }, host);
    expect(plan).toMatchObject({
      summary: 'create directory /pg/data (and 1 parent(s))',
      diff: [{ before: 'state: absent\n', after: 'state: directory\nowner: postgres\nmode: 0700\n' }],
    });
    expect(host.commands[1]).toBe(script);
  });

  it('replaces a link pointing elsewhere through a temporary name renamed over it', async () => {
    const host = fakeHost()
      .on(READ, { stdout: read(entry('l', '/pg/data', '777', 'root', 0, '/data/pg-old'), 'S\x01') })
      .on(/^set -e\n/);
    const { plan } = await runModule(file, { path: '/pg/data', state: 'link', src: '/data/postgres' }, host);
    expect(plan?.summary).toBe('link /pg/data -> /data/postgres (was -> /data/pg-old)');
    expect(host.commands[1]?.split('\n').slice(-4)).toEqual([
      'go /pg',
      'tmp=$(mktemp -u .data.XXXXXX)',
      'ln -sT -- /data/postgres "$tmp"',
      'mv -fT -- "$tmp" data',
    ]);
  });

  it('in check mode reports the removal and sends only the read', async () => {
    const host = fakeHost({ check: true }).on(READ, { stdout: read(entry('d', '/pg/data', '700')) });
    const { result, plan } = await runModule(file, { path: '/pg/data', state: 'absent' }, host);
    expect(result.changed).toBe(true);
    expect(plan?.summary).toBe('remove directory /pg/data');
    expect(host.sent).toHaveLength(1);
  });

  it('fails when the path is another kind of file than asked, without writing', async () => {
    const host = fakeHost().on(READ, { stdout: read(entry('f', '/pg/data', '644')) });
    expect((await runModule(file, { path: '/pg/data', state: 'directory' }, host)).result.msg).toBe('/pg/data exists and is a file, not a directory');
    expect((await runModule(file, { path: '/pg/data', state: 'link', src: '/x' }, host)).result.msg).toBe(
      'link target /x does not exist (set force to link to it anyway)',
    );
    expect(host.sent).toHaveLength(2);
  });
});
