import { describe, expect, it } from 'vitest';
import { copy } from '../../modules/copy.ts';
import { file } from '../../modules/file.ts';
import { attributeChanges, parseStat, writeCommand } from '../../modules/file-state.ts';
import { lineinfile } from '../../modules/lineinfile.ts';
import { b64, fakeHost, type FakeHost } from './fake-host.ts';

/** A host whose first command (the module's one read) answers with `read`; after it, only writes are expected. */
function host(read: string): FakeHost {
  // Writes: writeCommand's script, or a SAFE_FN prelude and the changes, or xargs over a tree's paths.
  return fakeHost()
    .once(() => true, { stdout: read })
    .on(/^(set -e\n|unset CDPATH\n|xargs -0 )/);
}

/** What readScript prints: the untrusted link (if any), the path acted on, STAT_FN's line, then content or hash. */
const fileRead = (untrusted: string, path: string, stat: string, data = ''): string => `${untrusted}\0${path}\0${stat}\0${data}`;

const PGPASS = '/var/lib/postgresql/.pgpass';
const postgresFile = 'file|postgres|postgres|600|999|999|6|';

describe('writing a file as root in a directory another user owns', () => {
  const current = parseStat(`${postgresFile}\0`);
  const script = writeCommand(
    { dest: '/etc/pgbouncer/userlist.txt', owner: 'postgres', group: 'postgres', mode: 0o600, backup: true, validate: 'check %s' },
    current,
  );
  const lines = script.split('\n');
  const at = (line: string): number => lines.indexOf(line);

  it('enters the directory with go and stages in a fresh private directory there, not in a temp file its owner can swap', () => {
    expect(lines).toContain('go /etc/pgbouncer || exit 1');
    expect(lines).toContain('s=$(mktemp -d ".$n.XXXXXX")');
    expect(lines).toContain(`[ "$PWD" = "$d/$s" ] && [ -O . ] || { echo "$d/$s changed while in use" >&2; exit 1; }`);
    expect(script).not.toMatch(/mktemp (?!-d)/);
  });

  it('keeps the old attributes, sets owner before mode, validates the staged file, fsyncs, and renames without following', () => {
    expect(lines).toContain(
      'if [ -f "../$n" ] && [ ! -L "../$n" ]; then cp --attributes-only --preserve=all --no-preserve=timestamps -- "../$n" new; fi',
    );
    expect(at('chown postgres:postgres new')).toBeGreaterThan(at('cat > new'));
    expect(at('chmod 0600 new')).toBeGreaterThan(at('chown postgres:postgres new'));
    expect(script).toContain(`( check "$PWD/new"\n) || { echo 'validate command rejected the new content' >&2; exit 1; }`);
    expect(lines.slice(-5)).toEqual([
      'sync -- new',
      'cp -P -p -- "../$n" old',
      'mv -fT -- old "../$n.$(date +%Y%m%d%H%M%S)~"',
      'mv -fT -- new "../$n"',
      'sync -- ..',
    ]);
  });

  it('makes missing parents one name at a time with go, and copies no attributes for a new file', () => {
    const fresh = writeCommand({ dest: '/var/lib/postgresql/.ssh/config', makeParents: true }, { kind: 'absent' });
    expect(fresh.split('\n')).toContain('go /var/lib/postgresql/.ssh 1 || exit 1');
    expect(fresh).not.toContain('mkdir -p');
    expect(fresh).not.toContain('--attributes-only');
  });

  it('changes attributes of an existing file from its directory: chown -h and sm, never chmod on a path', () => {
    const { commands } = attributeChanges(PGPASS, { ...current, mode: 0o644, owner: 'root', uid: 0 }, { owner: 'postgres', mode: 0o600 });
    expect(commands).toEqual(['go /var/lib/postgresql', 'chown -h postgres -- .pgpass', 'sm 0600 .pgpass']);
  });
});

describe('symlinks someone other than root could have planted', () => {
  it('lineinfile refuses to follow one at the path unless follow is set, and changes nothing', async () => {
    const h = host(fileRead(PGPASS, PGPASS, 'link|postgres|postgres|777|999|999|11|/etc/shadow'));
    await expect(lineinfile.plan(h.ctx, { path: PGPASS, line: 'x', create: true })).rejects.toThrow(
      `refusing to follow ${PGPASS}: a symlink someone other than root could have put there, pointing anywhere; set follow: true to follow it`,
    );
    expect(h.commands).toHaveLength(1);
    expect(h.commands[0]).toContain('lk /var/lib/postgresql/.pgpass; r=/var/lib/postgresql/.pgpass');
  });

  it('lineinfile with follow: true resolves the link and edits its target', async () => {
    const h = host(fileRead('', '/srv/real', 'file|root|root|644|0|0|2|', b64('a\n')));
    const plan = await lineinfile.plan(h.ctx, { path: '/srv/link', line: 'x', follow: true });
    expect(h.commands[0]).toContain('U=; r=$(readlink -m -- /srv/link)');
    expect(plan).toMatchObject({
      changed: true,
      summary: 'update /srv/real: line added',
      diff: [{ path: '/srv/real', before: 'a\n', after: 'a\nx\n' }],
    });
    await plan.apply?.();
    expect(h.commands[1]).toContain('go /srv || exit 1\nn=real');
  });

  it('copy replaces a symlink at dest (never writes through it) but refuses one on the path to dest', async () => {
    const link = host(fileRead(PGPASS, PGPASS, 'link|postgres|postgres|777|999|999|11|/etc/shadow'));
    const plan = await copy.plan(link.ctx, { dest: PGPASS, content: 'secret\n', mode: '0600' });
    // The link's target is neither read for the diff nor written.
    expect(plan).toMatchObject({ changed: true, summary: `update ${PGPASS}`, diff: [{ path: PGPASS, before: '', after: 'secret\n' }] });
    await plan.apply?.();
    expect(link.commands[1]).toContain('go /var/lib/postgresql || exit 1\nn=.pgpass');

    const parent = host(fileRead('/var/lib/postgresql/.ssh', '/var/lib/postgresql/.ssh/config', 'file|root|root|600|0|0|3|', ''));
    await expect(copy.plan(parent.ctx, { dest: '/var/lib/postgresql/.ssh/config', content: 'x\n' })).rejects.toThrow(
      'refusing to follow /var/lib/postgresql/.ssh (on the path to /var/lib/postgresql/.ssh/config)',
    );
  });

  it('copy with remote_src refuses to read a source through a planted link', async () => {
    const h = host(`/home/u/key\x01file|root|root|600|0|0|3|\0abc  -\n\x01${fileRead('', '/srv/key', 'absent')}`);
    await expect(copy.plan(h.ctx, { src: '/home/u/key', remote_src: true, dest: '/srv/key' })).rejects.toThrow(
      'refusing to follow /home/u/key: a symlink someone other than root',
    );
  });

  it('file refuses a planted link at path for state directory, and acts on a link itself with chown -h when told not to follow', async () => {
    const planted = host(`/pg/data\x01\x01l\0postgres\0postgres\x000\x000\x00777\x001:2\x001\0/etc\0/pg/data\0\x01`);
    await expect(file.plan(planted.ctx, { path: '/pg/data', state: 'directory', owner: 'postgres', mode: '0700' })).rejects.toThrow(
      'refusing to follow /pg/data',
    );

    const own = host(`/pg/data\x01\x01l\0root\0root\x000\x000\x00777\x001:2\x001\0/etc\0/pg/data\0\x01`);
    const plan = await file.plan(own.ctx, { path: '/pg/data', owner: 'postgres', follow: false });
    expect(own.commands[0]).toContain('h=\n');
    await plan.apply?.();
    expect(own.commands[1]).toMatch(/\ngo \/pg && chown -h postgres -- data$/);
  });

  it("file changes a tree from each entry's own directory, never through a path that may have become a link", async () => {
    const entry = (type: string, path: string, mode: string) => `${type}\0root\0root\x000\x000\0${mode}\x001:${path.length}\x001\0\0${path}\0`;
    const h = host(`\x01\x01${entry('d', '/pg/data', '700')}${entry('f', '/pg/data/a', '644')}\x01`);
    const plan = await file.plan(h.ctx, { path: '/pg/data', state: 'directory', recurse: true, owner: 'postgres', mode: '0700' });
    await plan.apply?.();
    expect(h.commands[1]).toMatch(/\ngo \/pg && chown -h postgres -- data$/);
    expect(h.commands[2]).toContain('for e; do go "${e%/*}" && chown -h postgres -- "${e##*/}" || exit 1; done');
    expect(h.commands[3]).toContain('for e; do go "${e%/*}" && sm 0700 "${e##*/}" || exit 1; done');
  });
});
