import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { template } from '../../modules/template.ts';
import { NODES, ROOT } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-template-test';
const SRC = join(ROOT, 'test/fixtures/templates/pgbouncer.ini.hbs');
const VARS = {
  pg_listen: '${ip},${lo}',
  inventory_hostname: '10.10.10.12',
  pg_admin_username: 'dbuser_dba',
  pgbouncer_auth_query: false,
  pg_dbsu: 'postgres',
};
const RENDERED = '[pgbouncer]\nlisten_addr = 10.10.10.12,127.0.0.1\nlisten_port = 6432\nadmin_users = postgres, dbuser_dba\n';

describe('template module on a sandbox node', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES['node-2']);
    await sh(conn, `rm -rf ${DIR} && mkdir -p ${DIR}`);
  });
  afterAll(async () => {
    await sh(conn, `rm -rf ${DIR}`);
    await conn.close();
  });

  const dest = `${DIR}/pgbouncer.ini`;

  it('in check mode renders from the host vars and shows the diff, writing nothing', async () => {
    const r = await runModule(conn, template, { src: SRC, dest, mode: '0640' }, { check: true, vars: VARS });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`create ${dest}`);
    expect(r.plan?.diff).toEqual([{ path: dest, before: '', after: RENDERED }]);
    expect(await sh(conn, `test -e ${dest} && echo present || echo absent`)).toBe('absent\n');
  });

  it('writes the rendered file, then reports unchanged', async () => {
    expect((await runModule(conn, template, { src: SRC, dest, mode: '0640' }, { vars: VARS })).result.changed).toBe(true);
    expect(await sh(conn, `cat ${dest}; stat -c %a ${dest}`)).toBe(`${RENDERED}640\n`);
    expect((await runModule(conn, template, { src: SRC, dest, mode: '0640' }, { vars: VARS })).result.changed).toBe(false);
  });

  it('lets the vars argument override host vars, and diffs the change', async () => {
    const r = await runModule(conn, template, { src: SRC, dest, vars: { pgbouncer_port: 6433, pgbouncer_auth_query: 'yes' } }, { vars: VARS });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`update ${dest}`);
    const after = RENDERED.replace('6432', '6433') + 'auth_user = postgres\n';
    expect(r.plan?.diff).toEqual([{ path: dest, before: RENDERED, after }]);
    expect(await sh(conn, `cat ${dest}`)).toBe(after);
  });

  it('fails naming the template line of an undefined variable, leaving the file alone', async () => {
    const { pg_admin_username: _, ...missing } = VARS;
    const r = await runModule(conn, template, { src: SRC, dest }, { vars: missing });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe(`${SRC}:4: "pg_admin_username" is not defined`);
    expect(await sh(conn, `grep -c 6433 ${dest}`)).toBe('1\n');
  });

  it('fails when a validate command rejects the rendered file', async () => {
    const r = await runModule(conn, template, { src: SRC, dest, validate: 'grep -q "^listen_port = 7000" %s' }, { vars: VARS });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toContain(`writing ${dest} failed`);
    expect(await sh(conn, `grep -c 6433 ${dest}`)).toBe('1\n');
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(template, { src: 'pgbouncer.ini.hbs', dest })?.describe()).toContain('argument "src" must match pattern');
    expect(argumentError(template, { src: SRC })?.describe()).toContain('missing required argument "dest"');
    expect(argumentError(template, { src: SRC, dest, vars: [] })?.describe()).toContain('argument "vars" must be object');
    expect(argumentError(template, { src: SRC, dest, content: 'x' })?.describe()).toContain('unknown argument "content"');
  });
});
