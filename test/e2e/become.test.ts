import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../engine/connection/known-hosts.ts';
import { connectSsh } from '../../engine/connection/ssh.ts';
import type { Connection } from '../../engine/connection/types.ts';
import { copy } from '../../modules/copy.ts';
import { onNode, results, runEntry, sandbox } from './harness.ts';
import { runModule } from './module-harness.ts';

const NODE = '10.10.10.63';
const PASSWORD = 'Secr3t-become-pw';
const INPUT = 'first line\nsecond line, no newline at the end';

function connectAs(user: string): Promise<Connection> {
  return connectSsh(
    { host: NODE, address: NODE, port: 22, user, kind: 'ssh' },
    { knownHosts: KnownHosts.load(join(homedir(), '.ssh', 'known_hosts')), trustNewHosts: false, connectTimeoutMs: 10_000 },
  );
}

/** A login user with root's authorized keys and the given sudo rule. */
function loginUser(name: string, rule: string): void {
  const r = onNode(
    NODE,
    `useradd -m -s /bin/bash ${name} && echo '${name}:${PASSWORD}' | chpasswd && ` +
      `install -d -m 700 -o ${name} -g ${name} /home/${name}/.ssh && install -m 600 -o ${name} -g ${name} /root/.ssh/authorized_keys /home/${name}/.ssh/ && ` +
      `echo '${name} ALL=(ALL) ${rule}' > /etc/sudoers.d/${name}`,
  );
  if (r.code !== 0) throw new Error(`creating ${name} failed`);
}

describe('become with a password on a real host', () => {
  const open: Connection[] = [];
  const connect = async (user: string) => {
    const conn = await connectAs(user);
    open.push(conn);
    return conn;
  };

  beforeAll(() => {
    sandbox('up', 'x63');
    sandbox('reset', 'x63');
    loginUser('nopass', 'NOPASSWD: ALL');
    loginUser('withpass', 'ALL');
  });
  afterAll(async () => {
    for (const conn of open) await conn.close();
  });

  it('a NOPASSWD user with a password set: the command gets its stdin, a copied file its content, never the password', async () => {
    const conn = await connect('nopass');
    const become = { user: 'root', password: PASSWORD };
    expect(await conn.exec('cat', { stdin: INPUT, become })).toMatchObject({ stdout: INPUT, code: 0 });
    const write = { dest: '/etc/pgsty-become-nopass', content: 'exact content\n', mode: '0600' };
    expect((await runModule(conn, copy, write, { become })).result.changed).toBe(true);
    expect(onNode(NODE, 'cat /etc/pgsty-become-nopass').stdout).toBe('exact content\n');
    // Written once: a password in front of the content made every run change the file.
    expect((await runModule(conn, copy, write, { become })).result.changed).toBe(false);
  });

  it('a user whose sudo asks: the right password works, stdin intact, in no result', async () => {
    const conn = await connect('withpass');
    const become = { user: 'root', password: PASSWORD };
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => conn.exec(`cat; echo " $(id -un) ${i}"`, { stdin: INPUT, become })));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 6 }, (_, i) => `${INPUT} root ${i}\n`));
    const written = await runModule(conn, copy, { dest: '/etc/pgsty-become-withpass', content: 'exact content\n' }, { become });
    expect(written.result.changed).toBe(true);
    expect(onNode(NODE, 'cat /etc/pgsty-become-withpass').stdout).toBe('exact content\n');
    expect(JSON.stringify([results, written.result])).not.toContain(PASSWORD);
  });

  it('a wrong password fails at once with a clear message, is not tried again, and shows in no result', async () => {
    const conn = await connect('withpass');
    const become = { user: 'root', password: 'Wr0ng-become-pw' };
    const started = Date.now();
    const r = await conn.exec('cat', { stdin: INPUT, become, timeoutMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('sudo refused the become password (ansible_become_password) of withpass, becoming root');
    const again = await runModule(conn, copy, { dest: '/etc/pgsty-become-wrong', content: 'x\n' }, { become });
    expect(again.result.failed).toBe(true);
    expect(JSON.stringify(again.result)).toContain('not tried again on this host');
    expect(JSON.stringify([r, again.result])).not.toContain('Wr0ng-become-pw');
    // One refused attempt in the auth log, not one per command.
    expect(onNode(NODE, 'journalctl -q -t sudo --no-pager | grep -c "sudo:auth): authentication failure" || true').stdout.trim()).toBe('1');
    expect(onNode(NODE, 'test -e /etc/pgsty-become-wrong && echo written || echo absent').stdout).toBe('absent\n');
  });

  it('a root login becoming another user with a password set: stdin intact', async () => {
    const conn = await connect('root');
    const r = await conn.exec('cat; echo " $(id -un)"', { stdin: INPUT, become: { user: 'nobody', password: PASSWORD } });
    expect(r).toMatchObject({ stdout: `${INPUT} nobody\n`, code: 0 });
  });

  it('a playbook run by a NOPASSWD user with ansible_become_password writes the file once, as given', async () => {
    const inventory = join(mkdtempSync(join(tmpdir(), 'become-inv-')), 'hosts.yml');
    writeFileSync(inventory, `all:\n  hosts:\n    ${NODE}: {}\n`);
    const run = () =>
      runEntry('test/e2e/fixtures/engine-playbook.ts', [
        '-i',
        inventory,
        '--json',
        '-u',
        'nopass',
        '-t',
        'fixed',
        '-e',
        `ansible_become_password=${PASSWORD}`,
      ]);
    const first = await run();
    expect(results(first, 'write a fixed file')[0]?.status).toBe('changed');
    expect(onNode(NODE, 'cat /etc/pgsty-fixed').stdout).toBe('fixed\n');
    const again = await run();
    expect(results(again, 'write a fixed file')[0]?.status).toBe('ok');
    expect(first.stdout + first.stderr + again.stdout + again.stderr).not.toContain(PASSWORD);
  });
});
