import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { hostname } from '../../modules/hostname.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

describe('hostname module on a sandbox node', () => {
  let conn: Connection;
  let commands = 0;
  let original = '';
  const names = async () => sh(conn, 'uname -n; cat /etc/hostname');

  beforeAll(async () => {
    const real = await connectNode(NODES.meta);
    conn = Object.assign(Object.create(real) as Connection, {
      exec: (...args: Parameters<Connection['exec']>) => {
        commands++;
        return real.exec(...args);
      },
    });
    original = (await sh(real, 'uname -n')).trim();
  });
  afterAll(async () => {
    await sh(conn, `hostnamectl set-hostname ${original}`);
    await conn.close();
  });

  it('in check mode reports the rename with /etc/hostname in the diff and renames nothing', async () => {
    const r = await runModule(conn, hostname, { name: 'pgsty-host-1' }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`hostname ${original} -> pgsty-host-1`);
    expect(r.plan?.diff).toEqual([{ path: '/etc/hostname', before: `${original}\n`, after: 'pgsty-host-1\n' }]);
    expect(await names()).toBe(`${original}\n${original}\n`);
  });

  it('renames through hostnamectl, sets the fact, then reports unchanged with one remote command', async () => {
    const r = await runModule(conn, hostname, { name: 'pgsty-host-1' });
    expect(r.result).toMatchObject({ changed: true, hostname: 'pgsty-host-1' });
    expect(r.plan?.facts).toEqual({ node_hostname: 'pgsty-host-1' });
    expect(await names()).toBe('pgsty-host-1\npgsty-host-1\n');
    commands = 0;
    expect((await runModule(conn, hostname, { name: 'pgsty-host-1' })).result.changed).toBe(false);
    expect(commands).toBe(1);
  });

  it('renames through /etc/hostname and hostname(1) when asked, fixing only what differs', async () => {
    await sh(conn, 'echo pgsty-stale > /etc/hostname');
    const r = await runModule(conn, hostname, { name: 'pgsty-host-1', use: 'file' });
    expect(r.plan?.summary).toBe('hostname pgsty-host-1 (/etc/hostname pgsty-stale) -> pgsty-host-1');
    expect(await names()).toBe('pgsty-host-1\npgsty-host-1\n');
    const both = await runModule(conn, hostname, { name: 'pgsty-host-2', use: 'file' });
    expect(both.result.changed).toBe(true);
    expect(await names()).toBe('pgsty-host-2\npgsty-host-2\n');
    expect(await sh(conn, 'stat -c "%U:%G %a" /etc/hostname')).toBe('root:root 644\n');
  });

  it('fails with the reason when the become user may not rename the host', async () => {
    const r = await runModule(conn, hostname, { name: 'pgsty-host-3' }, { become: { user: 'nobody' } });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/^setting the hostname to pgsty-host-3 failed: .*(denied|authentication|Interactive)/is);
    expect(await names()).toBe('pgsty-host-2\npgsty-host-2\n');
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(hostname, { name: 'pg_test_1' })?.describe()).toContain('argument "name" must match pattern');
    expect(argumentError(hostname, { name: '-pg' })?.describe()).toContain('argument "name" must match pattern');
    expect(argumentError(hostname, { name: 'a'.repeat(65) })?.describe()).toContain('argument "name" must NOT have more than 64 characters');
    expect(argumentError(hostname, { name: 'pg', use: 'debian' })?.describe()).toContain('one of systemd, file');
  });
});
