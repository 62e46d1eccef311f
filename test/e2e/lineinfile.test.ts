import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { lineinfile } from '../../modules/lineinfile.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-lineinfile-test';

describe('lineinfile module on a sandbox node', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES['node-2']);
    await sh(conn, `rm -rf ${DIR} && mkdir -p ${DIR}`);
  });
  afterAll(async () => {
    await sh(conn, `rm -rf ${DIR}`);
    await conn.close();
  });

  // Like /etc/hosts on the sandbox nodes: missing, and in a directory that does not exist yet.
  const hosts = `${DIR}/etc/hosts`;
  const entry = { path: hosts, line: '10.10.10.10 h.pigsty # pigsty dns', create: true, mode: '0644' };

  it('in check mode reports creating the file with the line, and writes nothing', async () => {
    const r = await runModule(conn, lineinfile, entry, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`create ${hosts}: line added`);
    expect(r.plan?.diff).toEqual([{ path: hosts, before: '', after: `${entry.line}\n` }]);
    expect(await sh(conn, `test -e ${DIR}/etc && echo present || echo absent`)).toBe('absent\n');
  });

  it('creates the file (and its directory) with the line, then reports unchanged', async () => {
    expect((await runModule(conn, lineinfile, entry)).result.changed).toBe(true);
    expect(await sh(conn, `cat ${hosts}; stat -c %a ${hosts}`)).toBe(`${entry.line}\n644\n`);
    expect((await runModule(conn, lineinfile, entry)).result.changed).toBe(false);
  });

  it('appends another line and replaces the last line a regexp matches, with a diff', async () => {
    await runModule(conn, lineinfile, { path: hosts, line: '10.10.10.11 n1 # pigsty dns' });
    const r = await runModule(conn, lineinfile, { path: hosts, regexp: '^10\\.10\\.10\\.10 ', line: '10.10.10.10 h.pigsty meta # pigsty dns' });
    expect(r.plan?.summary).toBe(`update ${hosts}: line replaced`);
    expect(r.plan?.diff?.[0]?.after).toBe('10.10.10.10 h.pigsty meta # pigsty dns\n10.10.10.11 n1 # pigsty dns\n');
    expect(await sh(conn, `cat ${hosts}`)).toBe('10.10.10.10 h.pigsty meta # pigsty dns\n10.10.10.11 n1 # pigsty dns\n');
  });

  it('removes every matching line with state absent and reports how many', async () => {
    await runModule(conn, lineinfile, { path: hosts, line: '127.0.0.1 localhost', insertbefore: 'BOF' });
    const check = await runModule(conn, lineinfile, { path: hosts, regexp: '# pigsty dns$', state: 'absent' }, { check: true });
    expect(check.plan?.summary).toBe(`update ${hosts}: 2 line(s) removed`);
    expect(check.result.found).toBe(2);
    expect(await sh(conn, `grep -c pigsty ${hosts}`)).toBe('2\n');
    expect((await runModule(conn, lineinfile, { path: hosts, regexp: '# pigsty dns$', state: 'absent' })).result.changed).toBe(true);
    expect(await sh(conn, `cat ${hosts}`)).toBe('127.0.0.1 localhost\n');
    expect((await runModule(conn, lineinfile, { path: hosts, regexp: '# pigsty dns$', state: 'absent' })).result.changed).toBe(false);
    expect((await runModule(conn, lineinfile, { path: `${DIR}/missing`, regexp: 'x', state: 'absent' })).result.changed).toBe(false);
  });

  it('edits the file a symlink points to, keeping the link', async () => {
    await sh(conn, `ln -s etc/hosts ${DIR}/hosts-link`);
    expect((await runModule(conn, lineinfile, { path: `${DIR}/hosts-link`, line: 'via link' })).result.changed).toBe(true);
    expect(await sh(conn, `readlink ${DIR}/hosts-link; tail -1 ${hosts}`)).toBe('etc/hosts\nvia link\n');
  });

  it('writes hostile line content literally', async () => {
    const line = `x"; $(touch /tmp/pwned) '\`id\`' \\1`;
    expect((await runModule(conn, lineinfile, { path: hosts, line })).result.changed).toBe(true);
    expect(await sh(conn, `tail -1 ${hosts}`)).toBe(`${line}\n`);
    expect(await sh(conn, 'test -e /tmp/pwned && echo pwned || echo safe')).toBe('safe\n');
    expect((await runModule(conn, lineinfile, { path: hosts, line })).result.changed).toBe(false);
  });

  it('fails on a missing file without create, and keeps the file when validate rejects the edit', async () => {
    const missing = await runModule(conn, lineinfile, { path: `${DIR}/nope.conf`, line: 'x' });
    expect(missing.result.failed).toBe(true);
    expect(missing.result.msg).toBe(`${DIR}/nope.conf does not exist (set create to make it)`);
    const before = await sh(conn, `cat ${hosts}`);
    const rejected = await runModule(conn, lineinfile, { path: hosts, line: 'bad entry', validate: '! grep -q bad %s' });
    expect(rejected.result.failed).toBe(true);
    expect(rejected.result.msg).toContain(`writing ${hosts} failed`);
    expect(await sh(conn, `cat ${hosts}`)).toBe(before);
  });

  it('rejects bad arguments before touching the host, and bad combinations before reading', async () => {
    expect(argumentError(lineinfile, { path: hosts })?.describe()).toContain('missing required argument "line"');
    expect(argumentError(lineinfile, { path: hosts, state: 'absent' })?.describe()).toContain('missing required argument "regexp"');
    expect(argumentError(lineinfile, { path: hosts, line: 'x', backrefs: true })?.describe()).toContain('missing required argument "regexp"');
    expect(argumentError(lineinfile, { path: hosts, line: 'x', state: 'gone' })?.describe()).toContain('one of present, absent');
    const both = await runModule(conn, lineinfile, { path: hosts, line: 'x', insertafter: 'a', insertbefore: 'b' });
    expect(both.result.msg).toBe('insertafter and insertbefore are mutually exclusive');
    const bad = await runModule(conn, lineinfile, { path: hosts, line: 'x', regexp: '(' });
    expect(bad.result.msg).toMatch(/^regexp: invalid regular expression "\(":/);
  });
});
