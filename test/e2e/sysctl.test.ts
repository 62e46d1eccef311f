import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { sysctl } from '../../modules/sysctl.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const FILE = '/etc/sysctl.d/pgsty-test.conf';
const PROFILE = '/etc/sysctl.d/pgsty-profile.conf';
const LINK = '/etc/sysctl.d/pgsty-link.conf';
const TARGET = '/var/tmp/pgsty-sysctl-target.conf';

describe('sysctl module on a sandbox node (read-only /proc/sys)', () => {
  let conn: Connection;
  let swappiness: string;
  const cat = async (path: string) => sh(conn, `cat ${path} 2>/dev/null || echo '<absent>'`);
  beforeAll(async () => {
    conn = await connectNode(NODES['node-1']);
    await sh(conn, `rm -f ${FILE} ${PROFILE} ${LINK} ${TARGET} /tmp/pgsty-pwned`);
    swappiness = (await sh(conn, 'cat /proc/sys/vm/swappiness')).trim();
  });
  afterAll(async () => {
    await sh(conn, `rm -f ${FILE} ${PROFILE} ${LINK} ${TARGET}`);
    await conn.close();
  });

  it('in check mode reports the file it would create and writes nothing', async () => {
    const r = await runModule(conn, sysctl, { name: 'vm.swappiness', value: swappiness, sysctl_file: FILE }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`create ${FILE}`);
    expect(r.plan?.diff).toEqual([{ path: FILE, before: '', after: `vm.swappiness = ${swappiness}\n` }]);
    expect(r.plan?.warnings).toEqual([]);
    expect(await cat(FILE)).toBe('<absent>\n');
  });

  it('writes a key whose live value already matches without any warning, then reports unchanged', async () => {
    const args = { name: 'vm.swappiness', value: Number(swappiness), sysctl_file: FILE };
    expect((await runModule(conn, sysctl, args)).result.changed).toBe(true);
    expect(await cat(FILE)).toBe(`vm.swappiness = ${swappiness}\n`);
    const again = await runModule(conn, sysctl, args);
    expect(again.result).toMatchObject({ changed: false, sysctl_file: FILE, live: { 'vm.swappiness': swappiness } });
    expect(again.plan?.warnings).toEqual([]);
  });

  it('writes the file and warns instead of failing when the live value cannot be set', async () => {
    const args = { name: 'net.core.somaxconn', value: 1024, sysctl_file: FILE };
    const r = await runModule(conn, sysctl, args);
    expect(r.result).toMatchObject({ changed: true, failed: false });
    expect(r.plan?.summary).toBe(`update ${FILE}`);
    expect(r.plan?.warnings).toEqual([`/proc/sys is read-only here: net.core.somaxconn written to ${FILE}, not applied live (now 4096)`]);
    expect(await cat(FILE)).toBe(`vm.swappiness = ${swappiness}\nnet.core.somaxconn = 1024\n`);
    expect((await runModule(conn, sysctl, args)).result.changed).toBe(false);
  });

  it('removes a key with state absent, keeping the other lines', async () => {
    const r = await runModule(conn, sysctl, { name: 'vm.swappiness', state: 'absent', sysctl_file: FILE });
    expect(r.plan?.diff?.[0]?.after).toBe('net.core.somaxconn = 1024\n');
    expect(await cat(FILE)).toBe('net.core.somaxconn = 1024\n');
    expect((await runModule(conn, sysctl, { name: 'vm.swappiness', state: 'absent', sysctl_file: FILE })).result.changed).toBe(false);
  });

  it('writes a whole profile exactly, showing the diff of a changed value', async () => {
    const settings = { 'vm.swappiness': 0, 'net.ipv4.tcp_rmem': '4096 87380 16777216', 'pgsty.no.such.key': 1 };
    const r = await runModule(conn, sysctl, { settings, sysctl_file: PROFILE });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.warnings).toContain(`pgsty.no.such.key does not exist on this kernel: written to ${PROFILE}, not applied live`);
    expect(await cat(PROFILE)).toBe('vm.swappiness = 0\nnet.ipv4.tcp_rmem = 4096 87380 16777216\npgsty.no.such.key = 1\n');
    expect((await runModule(conn, sysctl, { settings, sysctl_file: PROFILE })).result.changed).toBe(false);

    const check = await runModule(conn, sysctl, { settings: { ...settings, 'vm.swappiness': 1 }, sysctl_file: PROFILE }, { check: true });
    expect(check.plan?.diff?.[0]).toMatchObject({
      before: expect.stringContaining('vm.swappiness = 0'),
      after: expect.stringContaining('vm.swappiness = 1'),
    });
    expect(await cat(PROFILE)).toContain('vm.swappiness = 0\n');
  });

  it('follows a symlinked file and writes its target, keeping the link', async () => {
    await sh(conn, `printf '# keep me\\n' > ${TARGET} && ln -s ${TARGET} ${LINK}`);
    const r = await runModule(conn, sysctl, { name: 'vm.swappiness', value: swappiness, sysctl_file: LINK });
    expect(r.result).toMatchObject({ changed: true, sysctl_file: TARGET });
    expect(await sh(conn, `readlink ${LINK}; cat ${TARGET}`)).toBe(`${TARGET}\n# keep me\nvm.swappiness = ${swappiness}\n`);
  });

  it('writes hostile values as data', async () => {
    await runModule(conn, sysctl, { name: 'net.core.somaxconn', value: "1'; touch /tmp/pgsty-pwned; '$(id)", sysctl_file: FILE });
    expect(await cat(FILE)).toBe("net.core.somaxconn = 1'; touch /tmp/pgsty-pwned; '$(id)\n");
    expect(await sh(conn, 'test -e /tmp/pgsty-pwned && echo pwned || echo safe')).toBe('safe\n');
  });

  it('fails with context when the file cannot be written', async () => {
    const r = await runModule(conn, sysctl, { name: 'vm.swappiness', value: 1, sysctl_file: '/etc/pgsty-no-such-dir/x.conf' });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe('writing /etc/pgsty-no-such-dir/x.conf failed: /etc/pgsty-no-such-dir does not exist');
    expect((await runModule(conn, sysctl, { name: 'vm.swappiness', value: 1, sysctl_file: '/etc/sysctl.d' })).result.msg).toBe(
      '/etc/sysctl.d exists and is not a regular file',
    );
  });

  it('rejects bad arguments before touching the host', async () => {
    expect(argumentError(sysctl, { name: 'vm.swappiness; reboot', value: 1 })?.describe()).toContain('argument "name" must match pattern');
    expect(argumentError(sysctl, { name: 'a.b', value: '1\nkernel.x = 2' })?.describe()).toContain('"value"');
    expect(argumentError(sysctl, { name: 'a.b', value: 1, sysctl_set: true })?.describe()).toContain('unknown argument "sysctl_set"');
    const both = await runModule(conn, sysctl, { name: 'a.b', value: 1, settings: { 'a.b': 1 }, sysctl_file: FILE });
    expect(both.result.msg).toBe('give either name (one key) or settings (the whole file)');
    expect((await runModule(conn, sysctl, { settings: { 'a.b': 1 } })).result.msg).toBe('settings needs sysctl_file: the file it owns');
    expect((await runModule(conn, sysctl, { name: 'a.b' })).result.msg).toBe('value is required to set a.b');
  });
});
