import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shq } from '../../engine/shell-quote.ts';
import type { Connection } from '../../engine/connection/types.ts';
import { waitFor } from '../../modules/wait-for.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-wait-for-test';
const PORT = 47123;

describe('wait_for module on a sandbox node', () => {
  let conn: Connection;
  let commands = 0;
  beforeAll(async () => {
    const real = await connectNode(NODES.meta);
    // Count the module's remote commands to show that polling happens on the host.
    conn = Object.assign(Object.create(real) as Connection, {
      exec: (...args: Parameters<Connection['exec']>) => {
        commands++;
        return real.exec(...args);
      },
    });
    await sh(real, `rm -rf ${DIR} && mkdir -p ${DIR}`);
  });
  afterAll(async () => {
    await sh(conn, `rm -rf ${DIR}; pkill -f '[p]gsty-listener' || true`);
    await conn.close();
  });

  /** Run a shell snippet in the background on the node, detached from the SSH channel. */
  const later = (script: string) => sh(conn, `setsid sh -c ${shq(script)} >/dev/null 2>&1 < /dev/null &`);
  /** Listen on PORT from `after` seconds on, for `hold` seconds. */
  const listen = (after: number, hold: number) =>
    later(
      `sleep ${after}; exec python3 -c 'import socket,time,sys; sys.argv[0]="pgsty-listener"; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${PORT})); s.listen(); time.sleep(${hold})' pgsty-listener`,
    );

  it('returns at once, unchanged, when the port is already open', async () => {
    commands = 0;
    const r = await runModule(conn, waitFor, { port: 22 });
    expect(r.result).toMatchObject({ changed: false, failed: false, elapsed: 0 });
    expect(r.plan?.summary).toBe('waited 0s for port 22 on 127.0.0.1 to accept connections');
    expect(commands).toBe(1);
  });

  it('polls on the host in one remote command until the port opens, then until it closes', async () => {
    await listen(2, 3);
    commands = 0;
    const open = await runModule(conn, waitFor, { port: PORT, timeout: 20 });
    expect(open.result.failed).toBe(false);
    expect(open.result.elapsed).toBeGreaterThanOrEqual(1);
    expect(commands).toBe(1);
    const closed = await runModule(conn, waitFor, { host: '127.0.0.1', port: PORT, state: 'stopped', timeout: 20 });
    expect(closed.result).toMatchObject({ changed: false, failed: false });
    expect(closed.plan?.summary).toMatch(/^waited \d+s for port 47123 on 127.0.0.1 to be closed$/);
  });

  it('fails on timeout saying what it waited for and how long', async () => {
    const started = Date.now();
    const r = await runModule(conn, waitFor, { port: PORT, timeout: 2, delay: 1 });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe(`timed out after 2s waiting for port ${PORT} on 127.0.0.1 to accept connections`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    const custom = await runModule(conn, waitFor, { port: PORT, timeout: 1, msg: 'postgres did not start' });
    expect(custom.result.msg).toBe('postgres did not start');
  });

  it('in check mode probes once and reports what it would wait for, without waiting or failing', async () => {
    const started = Date.now();
    const r = await runModule(conn, waitFor, { port: PORT, timeout: 60 }, { check: true });
    expect(r.result).toMatchObject({ changed: false, failed: false });
    expect(r.plan?.summary).toBe(`would wait for port ${PORT} on 127.0.0.1 to accept connections (up to 60s): not yet`);
    expect(Date.now() - started).toBeLessThan(5000);
    const ready = await runModule(conn, waitFor, { path: '/etc/hostname' }, { check: true });
    expect(ready.plan?.summary).toBe('waited 0s for /etc/hostname to exist');
  });

  it('waits for a path to appear, then to be removed', async () => {
    const file = `${DIR}/it's here`;
    await later(`sleep 1; touch "${file}"; sleep 2; rm -f "${file}"`);
    const present = await runModule(conn, waitFor, { path: file, timeout: 10 });
    expect(present.plan?.summary).toMatch(/^waited \ds for .* to exist$/);
    const absent = await runModule(conn, waitFor, { path: file, state: 'absent', timeout: 10, sleep: 1 });
    expect(absent.plan?.summary).toMatch(/^waited \ds for .* to be absent$/);
    expect(await sh(conn, `test -e "${file}" && echo present || echo absent`)).toBe('absent\n');
  });

  it("waits for a regex in a file, and rejects an invalid regex with grep's reason", async () => {
    const log = `${DIR}/postgres.log`;
    await sh(conn, `echo 'starting' > ${log}`);
    await later(`sleep 1; echo 'LOG:  database system is ready to accept connections' >> ${log}`);
    const r = await runModule(conn, waitFor, { path: log, search_regex: 'ready to accept\\s+connections', timeout: 10 });
    expect(r.result.failed).toBe(false);
    expect(r.plan?.summary).toMatch(/^waited \ds for .*postgres.log to match \/ready to accept\\s\+connections\/$/);
    const bad = await runModule(conn, waitFor, { path: log, search_regex: 'ready (to', timeout: 10 });
    expect(bad.result.failed).toBe(true);
    expect(bad.result.msg).toMatch(/^wait_for: invalid search_regex \/ready \(to\/: .*missing closing parenthesis/);
  });

  it('rejects bad arguments before touching the host', async () => {
    expect(argumentError(waitFor, { port: 70000 })?.describe()).toContain('argument "port" must be <= 65535');
    expect(argumentError(waitFor, { port: 5432, state: 'drained' })?.describe()).toContain('one of started, stopped, present, absent');
    expect(argumentError(waitFor, { path: 'relative' })?.describe()).toContain('argument "path" must match pattern');
    expect(argumentError(waitFor, { port: 1, host: 'a;b' })?.describe()).toContain('argument "host" must match pattern');
    commands = 0;
    expect((await runModule(conn, waitFor, { port: 1, path: '/x' })).result.msg).toBe('wait_for needs exactly one of "port" or "path"');
    expect((await runModule(conn, waitFor, { timeout: 1 })).result.msg).toBe('wait_for needs exactly one of "port" or "path"');
    expect((await runModule(conn, waitFor, { port: 1, search_regex: 'x' })).result.msg).toContain('"search_regex" works with "path" only');
    expect(commands).toBe(0);
  });
});
