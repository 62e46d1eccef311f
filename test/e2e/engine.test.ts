import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODES, onNode, recap, results, runEntry, sandbox, SANDBOX_INVENTORY } from './harness.ts';

const PLAYBOOK = 'test/e2e/fixtures/engine-playbook.ts';
const IPS = Object.values(NODES);
const run = (...args: string[]) => runEntry(PLAYBOOK, ['-i', SANDBOX_INVENTORY, '--json', ...args]);

describe('engine on four sandbox nodes', () => {
  beforeAll(() => sandbox('reset'));

  it('check mode reports every change, with diffs, and leaves the nodes untouched', async () => {
    const check = await run('--check', '--diff', '-e', 'motd=first');
    expect(check.code).toBe(0);
    const motd = results(check, 'write the motd');
    expect(motd.map((e) => e.status).sort()).toEqual(['changed', 'changed', 'changed', 'changed']);
    const meta = motd.find((e) => e.host === NODES.meta) as { diff: string[]; summary: string };
    expect(meta.summary).toBe('create /etc/pgsty-motd');
    expect(meta.diff[0]).toContain('+first from 10.10.10.10');
    for (const ip of IPS) expect(onNode(ip, 'test -e /etc/pgsty-motd || echo absent').stdout.trim()).toBe('absent');
    // The handler would run in a real run, but in check mode the host is left alone.
    for (const ip of IPS) expect(onNode(ip, 'test -e /var/tmp/pgsty-handler || echo absent').stdout.trim()).toBe('absent');
  });

  it('a real run changes exactly what the check said, and a second run changes nothing', async () => {
    const check = await run('--check', '-e', 'motd=first');
    const apply = await run('-e', 'motd=first');
    expect(apply.code).toBe(0);
    const changed = (r: typeof apply) =>
      results(r)
        .filter((e) => e.status === 'changed' && !e.handler)
        .map((e) => `${e.host} ${e.task}`)
        .sort();
    expect(changed(apply)).toEqual(changed(check));
    expect(changed(apply)).toHaveLength(4 * 3);
    for (const ip of IPS) {
      expect(onNode(ip, 'cat /etc/pgsty-motd').stdout).toBe(`first from ${ip}\n`);
      expect(onNode(ip, 'stat -c %a /etc/pgsty-fixed').stdout.trim()).toBe('600');
      expect(onNode(ip, 'wc -l < /var/tmp/pgsty-handler').stdout.trim()).toBe('1');
    }
    const again = await run('-e', 'motd=first');
    expect(again.code).toBe(0);
    for (const counts of Object.values(recap(again).hosts)) expect(counts.changed).toBe(0);
  });

  it('a changed inventory value shows as a diff in check mode and only that file changes', async () => {
    const check = await run('--check', '--diff', '-e', 'motd=second');
    const changed = results(check).filter((e) => e.status === 'changed' && !e.handler);
    expect(changed.map((e) => e.task)).toEqual(Array(4).fill('files : write the motd'));
    const diff = (changed.find((e) => e.host === NODES['node-2']) as { diff: string[] }).diff[0];
    expect(diff).toContain('-first from 10.10.10.12');
    expect(diff).toContain('+second from 10.10.10.12');
    expect(onNode(NODES['node-2'], 'cat /etc/pgsty-motd').stdout).toBe('first from 10.10.10.12\n');
  });

  it('only the tasks of the selected tags run', async () => {
    const tagged = await run('-t', 'fixed', '-e', 'motd=third');
    expect(tagged.code).toBe(0);
    expect([...new Set(results(tagged).map((e) => e.task))]).toEqual(['files : write a fixed file']);
    expect(onNode(NODES.meta, 'cat /etc/pgsty-motd').stdout).toBe('first from 10.10.10.10\n');
  });

  it('a failing task stops its host only, handlers notified before still run, and the exit code is 2', async () => {
    onNode(NODES['node-1'], 'rm -f /etc/pgsty-after');
    const failed = await run('-e', 'motd=fourth', '-e', `fail_on=${NODES['node-1']}`);
    expect(failed.code).toBe(2);
    const after = results(failed, 'write after the failure');
    expect(after.map((e) => e.host).sort()).toEqual([NODES.meta, NODES['node-2'], NODES['node-3']]);
    expect(onNode(NODES['node-1'], 'test -e /etc/pgsty-after || echo absent').stdout.trim()).toBe('absent');
    expect(onNode(NODES['node-1'], 'wc -l < /var/tmp/pgsty-handler').stdout.trim()).toBe('2');
    const failure = results(failed, 'fail on one host when asked').find((e) => e.host === NODES['node-1']) as { msg: string };
    expect(failure.msg).toContain('exit');
  });

  it('an unreachable host does not stop the others, and the exit code is 4', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgsty-inv-'));
    const inventory = join(dir, 'inv.yml');
    // 10.10.10.14 is on the sandbox bridge but no node answers there.
    writeFileSync(inventory, `all:\n  hosts:\n    10.10.10.10: {}\n    10.10.10.11: {}\n    10.10.10.14: {}\n`);
    const r = await runEntry(PLAYBOOK, ['-i', inventory, '--json', '-T', '2', '-e', 'motd=fifth']);
    expect(r.code).toBe(4);
    expect(recap(r).hosts['10.10.10.14']?.unreachable).toBe(1);
    expect(recap(r).hosts['10.10.10.11']?.failed).toBe(0);
    expect(onNode(NODES['node-1'], 'cat /etc/pgsty-motd').stdout).toBe('fifth from 10.10.10.11\n');
  });
});

describe('task and play keywords', () => {
  it('runs a run_once task delegated to the controller exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgsty-deleg-'));
    const log = join(dir, 'log');
    const r = await run('-t', 'keywords', '-l', `${NODES['node-1']},${NODES['node-2']}`, '-e', `controller_log=${log}`);
    expect(r.code).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`${NODES['node-1']}\n`);
    expect(results(r, 'record the run on the controller once')).toEqual([
      expect.objectContaining({ host: NODES['node-1'], delegate_to: 'localhost' }),
    ]);
  });

  it('retries a task until its condition holds', async () => {
    for (const ip of [NODES['node-1'], NODES['node-2']]) onNode(ip, 'rm -f /var/tmp/pgsty-attempts');
    const r = await run('-t', 'keywords', '-l', `${NODES['node-1']},${NODES['node-2']}`, '-e', 'controller_log=/dev/null');
    expect(r.code).toBe(0);
    expect(onNode(NODES['node-2'], 'cat /var/tmp/pgsty-attempts').stdout.trim()).toBe('3');
  });

  it('finishes each serial batch before the next one starts', async () => {
    const r = await run('-t', 'rolling');
    expect(r.code).toBe(0);
    const order = results(r).map((e) => e.host);
    const firstBatch = [NODES.meta, NODES['node-1']];
    expect(order.slice(0, 4).every((h) => firstBatch.includes(h as never))).toBe(true);
    expect(order.slice(4).every((h) => !firstBatch.includes(h as never))).toBe(true);
  });

  it('gives the same results with the free strategy', async () => {
    const applied = await run('--strategy', 'free', '-e', 'motd=free');
    expect(applied.code).toBe(0);
    for (const ip of IPS) expect(onNode(ip, 'cat /etc/pgsty-motd').stdout).toBe(`free from ${ip}\n`);
    const again = await run('--strategy', 'free', '-e', 'motd=free', '--check');
    expect(again.code).toBe(0);
    expect(results(again).filter((e) => e.status === 'changed')).toHaveLength(0);
  });
});

describe('host keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsty-kh-'));
  const knownHosts = join(dir, 'known_hosts');
  const args = ['-l', NODES.meta, '-t', 'fixed', '--known-hosts', knownHosts];

  it('refuses an unknown host key, then trusts and records it with --trust-new-hosts', async () => {
    const refused = await runEntry(PLAYBOOK, ['-i', SANDBOX_INVENTORY, ...args]);
    expect(refused.code).toBe(4);
    expect(refused.stdout).toContain('--trust-new-hosts');
    const trusted = await runEntry(PLAYBOOK, ['-i', SANDBOX_INVENTORY, ...args, '--trust-new-hosts']);
    expect(trusted.code).toBe(0);
    expect(readFileSync(knownHosts, 'utf8')).toMatch(/^10\.10\.10\.10 ssh-/m);
    const again = await runEntry(PLAYBOOK, ['-i', SANDBOX_INVENTORY, ...args]);
    expect(again.code).toBe(0);
  });

  it('fails on a changed host key, naming both fingerprints', async () => {
    const fake = join(dir, 'fake');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', fake]);
    const [type, key] = readFileSync(`${fake}.pub`, 'utf8').split(' ');
    writeFileSync(knownHosts, `10.10.10.10 ${type} ${key}\n`);
    const fakeFingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${fake}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
    const r = await runEntry(PLAYBOOK, ['-i', SANDBOX_INVENTORY, ...args, '--trust-new-hosts']);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('CHANGED');
    expect(r.stdout).toContain(fakeFingerprint);
    expect(r.stdout).toMatch(/presented ssh-ed25519 SHA256:\S+/);
  });
});

describe('become and secrets', () => {
  const node = NODES['node-2'];
  const user = (name: string, sudo: string) =>
    onNode(
      node,
      `id ${name} >/dev/null 2>&1 || useradd -m -s /bin/bash ${name}; echo '${name}:Secr3tPass' | chpasswd; ` +
        `install -d -m 700 -o ${name} -g ${name} /home/${name}/.ssh; install -m 600 -o ${name} -g ${name} /root/.ssh/authorized_keys /home/${name}/.ssh/; ` +
        `echo '${name} ALL=(ALL) ${sudo}' > /etc/sudoers.d/${name}`,
    );

  beforeAll(() => {
    user('dba', 'NOPASSWD: ALL');
    user('dbp', 'ALL');
  });

  it('becomes root through sudo without a password', async () => {
    onNode(node, 'rm -f /etc/pgsty-fixed');
    const r = await run('-l', node, '-u', 'dba', '-t', 'fixed');
    expect(r.code).toBe(0);
    expect(onNode(node, 'stat -c %U:%a /etc/pgsty-fixed').stdout.trim()).toBe('root:600');
  });

  it('becomes root through sudo with a password, which never shows in the output', async () => {
    onNode(node, 'rm -f /etc/pgsty-fixed');
    const r = await run('-l', node, '-u', 'dbp', '-t', 'fixed', '-e', 'ansible_become_password=Secr3tPass');
    expect(r.code).toBe(0);
    expect(onNode(node, 'cat /etc/pgsty-fixed').stdout).toBe('fixed\n');
    expect(r.stdout + r.stderr).not.toContain('Secr3tPass');
  });

  it('fails clearly when sudo needs a password nobody gave', async () => {
    const r = await run('-l', node, '-u', 'dbp', '-t', 'fixed');
    expect(r.code).toBe(2);
    expect(String(results(r, 'write a fixed file')[0]?.msg)).toContain('password is required');
  });

  it('runs a task as another become user', async () => {
    const r = await run('-l', node, '-t', 'whoami', '-e', 'become_target=nobody');
    expect(r.code).toBe(0);
    expect(onNode(node, 'cat /var/tmp/pgsty-whoami').stdout.trim()).toBe('nobody');
  });

  it('masks a secret in summaries and diffs, while the host gets the real value', async () => {
    const r = await run('-l', node, '-t', 'cred', '--diff', '-e', 'api_token=Sup3rS3cretValue');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Sup3rS3cretValue');
    expect(String((results(r, 'write a credentials file')[0] as { diff: string[] }).diff[0])).toContain('+token=********');
    expect(onNode(node, 'cat /etc/pgsty-cred').stdout).toBe('token=Sup3rS3cretValue\n');
  });
});
