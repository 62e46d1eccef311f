import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { copy } from '../../modules/copy.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-copy-test';

describe('copy module on a sandbox node', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES.meta);
    await sh(conn, `rm -rf ${DIR} && mkdir -p ${DIR}`);
  });
  afterAll(async () => {
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

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(copy, { dest: 'relative/path', content: '' })?.describe()).toContain('argument "dest" must match pattern');
    expect(argumentError(copy, { dest: '/x', content: '', mode: 'rw-r--r--' })?.describe()).toContain('"mode"');
    expect(argumentError(copy, { dest: '/x', content: '', owner: 'root', extra: 1 })?.describe()).toContain('unknown argument "extra"');
  });
});
