import { homedir } from 'node:os';
import { join } from 'node:path';
import { KnownHosts } from '../../engine/connection/known-hosts.ts';
import { connectSsh } from '../../engine/connection/ssh.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { systemd } from '../../modules/systemd.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const SLEEP = 'pgsty-sleep.service';
const FAIL = 'pgsty-fail.service';
const VENDOR = 'pgsty-vendor.service';
const unitFile = (execStart: string) =>
  `[Unit]\nDescription=pgsty test unit\n[Service]\nExecStart=${execStart}\n[Install]\nWantedBy=multi-user.target\n`;

const ADMIN = 'pgsty-admin';

describe('systemd module on a sandbox node', () => {
  let conn: Connection;
  const status = async (unit: string) => (await sh(conn, `echo $(systemctl is-active ${unit}) $(systemctl is-enabled ${unit})`)).trim();
  const cleanup = () =>
    sh(
      conn,
      `for u in ${SLEEP} ${FAIL} ${VENDOR}; do systemctl unmask $u; systemctl disable --now $u; systemctl reset-failed $u; done >/dev/null 2>&1
       rm -f /etc/systemd/system/${SLEEP} /etc/systemd/system/${FAIL} /usr/lib/systemd/system/${VENDOR}; systemctl daemon-reload`,
    );

  beforeAll(async () => {
    conn = await connectNode(NODES['node-1']);
    await cleanup();
    await sh(conn, `printf '${unitFile('/bin/sleep 1000')}' > /etc/systemd/system/${SLEEP}`);
    await sh(conn, `printf '${unitFile('/bin/false')}' > /etc/systemd/system/${FAIL}`);
    await sh(conn, `printf '${unitFile('/bin/sleep 1000')}' > /usr/lib/systemd/system/${VENDOR}`);
  });
  afterAll(async () => {
    await cleanup();
    await conn.close();
  });

  it('in check mode reports enable and start and leaves the unit alone', async () => {
    const r = await runModule(conn, systemd, { name: 'pgsty-sleep', state: 'started', enabled: true }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`${SLEEP}: enable, start`);
    expect(await status(SLEEP)).toBe('inactive disabled');
  });

  it('enables and starts the unit, waiting until it is active, then reports unchanged', async () => {
    const r = await runModule(conn, systemd, { name: 'pgsty-sleep', state: 'started', enabled: true });
    expect(r.result).toMatchObject({ changed: true, failed: false, name: SLEEP });
    expect(await status(SLEEP)).toBe('active enabled');
    const again = await runModule(conn, systemd, { name: SLEEP, state: 'started', enabled: true });
    expect(again.result.changed).toBe(false);
    expect(again.result.status).toMatchObject({ ActiveState: 'active', SubState: 'running', UnitFileState: 'enabled' });
  });

  it('restarted always changes and gives the unit a new main process', async () => {
    const pid = await sh(conn, `systemctl show -p MainPID --value ${SLEEP}`);
    const r = await runModule(conn, systemd, { name: SLEEP, state: 'restarted' });
    expect(r.result.changed).toBe(true);
    expect(await sh(conn, `systemctl show -p MainPID --value ${SLEEP}`)).not.toBe(pid);
  });

  it('reloads systemd by itself when the unit file changed under a loaded unit', async () => {
    await sh(conn, `printf '${unitFile('/bin/sleep 2000')}' > /etc/systemd/system/${SLEEP}`);
    const check = await runModule(conn, systemd, { name: SLEEP, state: 'started' }, { check: true });
    expect(check.plan?.summary).toBe(`${SLEEP}: daemon-reload`);
    expect(await sh(conn, `systemctl show -p NeedDaemonReload --value ${SLEEP}`)).toBe('yes\n');
    expect((await runModule(conn, systemd, { name: SLEEP, state: 'started' })).result.changed).toBe(true);
    expect(await sh(conn, `systemctl show -p NeedDaemonReload --value ${SLEEP}`)).toBe('no\n');
    expect((await runModule(conn, systemd, { name: SLEEP, state: 'started' })).result.changed).toBe(false);
  });

  it('stops and disables', async () => {
    expect((await runModule(conn, systemd, { name: SLEEP, state: 'stopped', enabled: false })).plan?.summary).toBe(`${SLEEP}: disable, stop`);
    expect(await status(SLEEP)).toBe('inactive disabled');
    expect((await runModule(conn, systemd, { name: SLEEP, state: 'stopped', enabled: false })).result.changed).toBe(false);
  });

  it('masks and unmasks a packaged unit', async () => {
    const check = await runModule(conn, systemd, { name: VENDOR, masked: true }, { check: true });
    expect(check.plan?.summary).toBe(`${VENDOR}: mask`);
    expect(await status(VENDOR)).toBe('inactive disabled');
    expect((await runModule(conn, systemd, { name: VENDOR, masked: true })).result.changed).toBe(true);
    expect(await status(VENDOR)).toBe('inactive masked');
    expect((await runModule(conn, systemd, { name: VENDOR, masked: true })).result.changed).toBe(false);
    const start = await runModule(conn, systemd, { name: VENDOR, state: 'started' });
    expect(start.result.msg).toBe(`${VENDOR} is masked: unmask it (masked: false) before starting it`);

    const unmask = await runModule(conn, systemd, { name: VENDOR, masked: false, state: 'started' });
    expect(unmask.plan?.summary).toBe(`${VENDOR}: unmask, start`);
    expect(await status(VENDOR)).toBe('active disabled');
  });

  it("fails with systemd's reason when a unit written in /etc cannot be masked", async () => {
    const r = await runModule(conn, systemd, { name: SLEEP, masked: true });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe(`${SLEEP}: mask failed: Failed to mask unit: File /etc/systemd/system/${SLEEP} already exists.`);
  });

  it('fails a unit that dies at start with its last journal lines', async () => {
    const r = await runModule(conn, systemd, { name: FAIL, state: 'started', wait_timeout: 10 });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toContain(`${FAIL} did not become active: ActiveState=failed (Result=exit-code)`);
    expect(r.result.msg).toContain('last journal lines:');
    expect(r.result.msg).toMatch(/pgsty-fail\.service: (Main process exited|Failed with result)/);
  });

  it('fails naming a unit that does not exist, and treats stopping it as done', async () => {
    expect((await runModule(conn, systemd, { name: 'pgsty-nosuch', state: 'started' })).result.msg).toBe('unit pgsty-nosuch.service not found');
    expect((await runModule(conn, systemd, { name: 'pgsty-nosuch', state: 'stopped', enabled: false })).result.changed).toBe(false);
  });

  it('in check mode plans starting a unit an earlier task would install, with a warning instead of a failure', async () => {
    const r = await runModule(conn, systemd, { name: 'pgsty-nosuch', state: 'started', enabled: true }, { check: true });
    expect(r.result).toMatchObject({ changed: true, failed: false });
    expect(r.plan?.summary).toBe('pgsty-nosuch.service: enable, start');
    expect(r.plan?.warnings?.[0]).toContain('not installed yet');
  });

  it('works through become from an unprivileged login', async () => {
    const admin = await connectAsAdmin(conn, NODES['node-1']);
    try {
      const r = await runModule(admin, systemd, { name: SLEEP, state: 'restarted' }, { become: { user: 'root' } });
      expect(r.result).toMatchObject({ changed: true, failed: false });
      expect(await status(SLEEP)).toMatch(/^active /);
      const denied = await runModule(admin, systemd, { name: SLEEP, state: 'stopped' });
      expect(denied.result.failed).toBe(true);
    } finally {
      await admin.close();
      await sh(conn, `userdel -f -r ${ADMIN} 2>/dev/null; rm -f /etc/sudoers.d/${ADMIN}`);
    }
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(systemd, { name: 'x; reboot' })?.describe()).toContain('argument "name" must match pattern');
    expect(argumentError(systemd, { name: 'x', state: 'running' })?.describe()).toContain('"state"');
    expect(argumentError(systemd, { name: 'x', wait_timeout: -1 })?.describe()).toContain('"wait_timeout"');
    expect(argumentError(systemd, { name: 'x', enable: true })?.describe()).toContain('unknown argument "enable"');
  });
});

/** An SSH connection to the node as a sudo-capable admin user, for tasks that become root. */
async function connectAsAdmin(conn: Connection, ip: string): Promise<Connection> {
  await sh(
    conn,
    `id ${ADMIN} >/dev/null 2>&1 || useradd -m -s /bin/bash ${ADMIN}; install -d -m 700 -o ${ADMIN} -g ${ADMIN} /home/${ADMIN}/.ssh; ` +
      `install -m 600 -o ${ADMIN} -g ${ADMIN} /root/.ssh/authorized_keys /home/${ADMIN}/.ssh/; echo '${ADMIN} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/${ADMIN}`,
  );
  return connectSsh(
    { host: ip, address: ip, port: 22, user: ADMIN, kind: 'ssh' },
    { knownHosts: KnownHosts.load(join(homedir(), '.ssh', 'known_hosts')), trustNewHosts: false, connectTimeoutMs: 10_000 },
  );
}
