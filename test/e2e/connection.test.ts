import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../engine/connection/known-hosts.ts';
import { LocalConnection } from '../../engine/connection/local.ts';
import { connectSsh } from '../../engine/connection/ssh.ts';
import type { Connection } from '../../engine/connection/types.ts';
import { NODES } from './harness.ts';
import { connectNode, sh } from './module-harness.ts';

describe('one SSH connection per host', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES['node-3']);
  });
  afterAll(async () => {
    await sh(conn, 'rm -f /var/tmp/pgsty-upload');
    await conn.close();
  });

  it('runs many more commands at once than sshd allows sessions, all on the same connection', async () => {
    const outputs = await Promise.all(Array.from({ length: 40 }, (_, i) => conn.exec(`sleep 0.1; echo ${i}`)));
    expect(outputs.map((o) => o.stdout.trim())).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(outputs.every((o) => o.code === 0)).toBe(true);
  });

  // A command's parent is a subshell of the long-lived shell serving it: the pid of that shell.
  const shellPid = 'read -r _ _ _ pp _ < /proc/$PPID/stat; echo $pp';

  it('gives commands that run long shells of their own, up to the pool size', async () => {
    const pids = await Promise.all(Array.from({ length: 4 }, () => conn.exec(`sleep 1; ${shellPid}`)));
    expect(new Set(pids.map((r) => r.stdout.trim())).size).toBe(4);
  });

  it('replaces a shell whose session ended', async () => {
    const killed = await conn.exec(`kill -9 $(${shellPid})`);
    expect(killed.code).toBe(-1);
    expect((await conn.exec('echo still here')).stdout).toBe('still here\n');
  });

  it('passes stdin through and reports exit codes and stderr', async () => {
    const r = await conn.exec('cat; echo oops >&2; exit 7', { stdin: 'line one\nline two\n' });
    expect(r).toEqual({ stdout: 'line one\nline two\n', stderr: 'oops\n', code: 7 });
  });

  it('ends a command that outlives its timeout', async () => {
    const r = await conn.exec('sleep 5', { timeoutMs: 300 });
    expect(r.code).toBe(-1);
    expect(r.stderr).toContain('timed out after 300 ms');
  });

  it('uploads bytes over SFTP with the given mode', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => i % 251));
    await conn.upload(bytes, '/var/tmp/pgsty-upload', 0o640);
    expect(await sh(conn, 'stat -c %a:%s /var/tmp/pgsty-upload')).toBe(`640:${bytes.length}\n`);
    const { createHash } = await import('node:crypto');
    expect((await sh(conn, 'sha256sum < /var/tmp/pgsty-upload')).split(' ')[0]).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});

describe('private key files', () => {
  it('leaves out a key group or others can read, with one warning, as OpenSSH does; uses it once it is private', async () => {
    const key = join(mkdtempSync(join(tmpdir(), 'key-')), 'id_ed25519');
    copyFileSync(join(homedir(), '.ssh', 'id_ed25519'), key);
    chmodSync(key, 0o644);
    const warnings: string[] = [];
    const node = NODES['node-3'];
    const connect = () =>
      connectSsh(
        { host: node, address: node, port: 22, user: 'root', kind: 'ssh', privateKeyFile: key },
        {
          knownHosts: KnownHosts.load(join(homedir(), '.ssh', 'known_hosts')),
          trustNewHosts: false,
          connectTimeoutMs: 10_000,
          warn: (m) => warnings.push(m),
        },
      );
    await expect(connect()).rejects.toThrow('authentication as root failed');
    expect(warnings[0]).toBe(`private key ${key} is open to group or others (mode 0644): not used, as OpenSSH refuses it; chmod 600 ${key}`);
    chmodSync(key, 0o600);
    const conn = await connect();
    expect((await conn.exec('echo in')).stdout).toBe('in\n');
    await conn.close();
  });
});

describe('local connection', () => {
  it('runs commands on the controller with stdin and exit codes', async () => {
    const local = new LocalConnection('localhost');
    expect(await local.exec('read x; echo "got $x"; exit 3', { stdin: 'it\n' })).toEqual({ stdout: 'got it\n', stderr: '', code: 3 });
  });
});

describe('local connection under churn', () => {
  it('survives commands that exit without reading the input they were given', async () => {
    const local = new LocalConnection('localhost');
    const input = 'x'.repeat(1 << 20);
    const results = await Promise.all(Array.from({ length: 20 }, () => local.exec('exit 0', { stdin: input })));
    expect(results.every((r) => r.code === 0)).toBe(true);
  });
});
