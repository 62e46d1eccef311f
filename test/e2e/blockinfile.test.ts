import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { blockinfile } from '../../modules/blockinfile.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-blockinfile-test';
const BEGIN = '# BEGIN MANAGED BY PIGSTY';
const END = '# END MANAGED BY PIGSTY';

describe('blockinfile module on a sandbox node', () => {
  let conn: Connection;
  const path = `${DIR}/sshd_config`;
  beforeAll(async () => {
    conn = await connectNode(NODES['node-2']);
    await sh(conn, `rm -rf ${DIR} && mkdir -p ${DIR} && printf 'Port 22\\nMatch all\\n' > ${path}`);
  });
  afterAll(async () => {
    await sh(conn, `rm -rf ${DIR}`);
    await conn.close();
  });

  const block = 'UseDNS no\nMaxSessions 20';

  it('in check mode shows the block it would insert, and changes nothing', async () => {
    const r = await runModule(conn, blockinfile, { path, block, insertbefore: '^Match' }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`update ${path}: block inserted`);
    expect(r.plan?.diff).toEqual([{ path, before: 'Port 22\nMatch all\n', after: `Port 22\n${BEGIN}\n${block}\n${END}\nMatch all\n` }]);
    expect(await sh(conn, `cat ${path}`)).toBe('Port 22\nMatch all\n');
  });

  it('inserts the block where asked, then reports unchanged', async () => {
    expect((await runModule(conn, blockinfile, { path, block, insertbefore: '^Match' })).result.changed).toBe(true);
    expect(await sh(conn, `cat ${path}`)).toBe(`Port 22\n${BEGIN}\n${block}\n${END}\nMatch all\n`);
    expect((await runModule(conn, blockinfile, { path, block, insertbefore: '^Match' })).result.changed).toBe(false);
  });

  it('replaces the block in place when its content changes', async () => {
    const r = await runModule(conn, blockinfile, { path, block: 'UseDNS yes' });
    expect(r.plan?.summary).toBe(`update ${path}: block inserted`);
    expect(await sh(conn, `cat ${path}`)).toBe(`Port 22\n${BEGIN}\nUseDNS yes\n${END}\nMatch all\n`);
  });

  it('removes the block with state absent, then reports unchanged', async () => {
    expect((await runModule(conn, blockinfile, { path, state: 'absent' })).plan?.summary).toBe(`update ${path}: block removed`);
    expect(await sh(conn, `cat ${path}`)).toBe('Port 22\nMatch all\n');
    expect((await runModule(conn, blockinfile, { path, state: 'absent' })).result.changed).toBe(false);
  });

  it('creates a missing file with create, owner and mode; fails without create', async () => {
    const created = `${DIR}/conf.d/limits.conf`;
    const r = await runModule(conn, blockinfile, {
      path: created,
      block: 'postgres soft nofile 65536',
      create: true,
      owner: 'nobody',
      mode: '0600',
      marker: '# {mark} pigsty limits',
    });
    expect(r.plan?.summary).toBe(`create ${created}: file created`);
    expect(await sh(conn, `cat ${created}; stat -c '%U %a' ${created}`)).toBe(
      '# BEGIN pigsty limits\npostgres soft nofile 65536\n# END pigsty limits\nnobody 600\n',
    );
    const missing = await runModule(conn, blockinfile, { path: `${DIR}/nope`, block: 'x' });
    expect(missing.result.failed).toBe(true);
    expect(missing.result.msg).toBe(`${DIR}/nope does not exist (set create to make it)`);
  });

  it('fails on a directory', async () => {
    const r = await runModule(conn, blockinfile, { path: DIR, block: 'x' });
    expect(r.result.msg).toBe(`${DIR} is a directory`);
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(blockinfile, { path, block: 'x', marker: '# managed' })?.describe()).toContain('argument "marker" must match pattern');
    expect(argumentError(blockinfile, { path, content: 'x' })?.describe()).toContain('unknown argument "content"');
    expect(argumentError(blockinfile, { path, state: 'gone' })?.describe()).toContain('one of present, absent');
  });
});
