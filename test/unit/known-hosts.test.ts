import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, keyType, KnownHosts } from '../../engine/connection/known-hosts.ts';

function blob(type: string, body: Buffer): Buffer {
  const name = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(name.length);
  return Buffer.concat([len, name, body]);
}

const keyA = blob('ssh-ed25519', randomBytes(36));
const keyB = blob('ssh-ed25519', randomBytes(36));

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kh-'));

  it('matches plain, hashed and [host]:port entries', () => {
    const file = join(dir, 'plain');
    writeFileSync(
      file,
      [
        `10.10.10.10 ssh-ed25519 ${keyA.toString('base64')}`,
        `${hashed('10.10.10.11')} ssh-ed25519 ${keyB.toString('base64')}`,
        `[10.10.10.12]:2222 ssh-ed25519 ${keyA.toString('base64')}`,
      ].join('\n'),
    );
    const kh = KnownHosts.load(file);
    expect(kh.verify('10.10.10.10', 22, keyA)).toEqual({ kind: 'match' });
    expect(kh.verify('10.10.10.11', 22, keyB)).toEqual({ kind: 'match' });
    expect(kh.verify('10.10.10.12', 2222, keyA)).toEqual({ kind: 'match' });
    expect(kh.verify('10.10.10.12', 22, keyA)).toEqual({ kind: 'unknown' });
    expect(kh.typesFor('10.10.10.11', 22)).toEqual(['ssh-ed25519']);
  });

  it('reports a changed key with the recorded fingerprint and its line', () => {
    const file = join(dir, 'changed');
    writeFileSync(file, `# comment\n10.10.10.10 ssh-ed25519 ${keyA.toString('base64')}\n`);
    expect(KnownHosts.load(file).verify('10.10.10.10', 22, keyB)).toEqual({
      kind: 'changed',
      known: [{ type: 'ssh-ed25519', fingerprint: fingerprint(keyA), line: 2 }],
    });
  });

  it('refuses a revoked key and ignores cert-authority lines', () => {
    const file = join(dir, 'revoked');
    writeFileSync(file, `@revoked 10.10.10.10 ssh-ed25519 ${keyA.toString('base64')}\n@cert-authority * ssh-ed25519 ${keyB.toString('base64')}\n`);
    const kh = KnownHosts.load(file);
    expect(kh.verify('10.10.10.10', 22, keyA)).toEqual({ kind: 'revoked', line: 1 });
    expect(kh.verify('10.10.10.10', 22, keyB)).toEqual({ kind: 'unknown' });
  });

  it('records a trusted key in OpenSSH format', () => {
    const file = join(dir, 'added');
    writeFileSync(file, 'other ssh-ed25519 AAAA');
    const kh = KnownHosts.load(file);
    kh.add('10.10.10.13', 22, keyA);
    expect(readFileSync(file, 'utf8')).toBe(`other ssh-ed25519 AAAA\n10.10.10.13 ssh-ed25519 ${keyA.toString('base64')}\n`);
    expect(KnownHosts.load(file).verify('10.10.10.13', 22, keyA)).toEqual({ kind: 'match' });
    expect(keyType(keyA)).toBe('ssh-ed25519');
  });

  it('matches host names whatever their case, as OpenSSH lowercases both sides', () => {
    const file = join(dir, 'case');
    writeFileSync(file, `Node-1.Example.COM ssh-ed25519 ${keyA.toString('base64')}\n[DB.example.com]:2222 ssh-ed25519 ${keyA.toString('base64')}\n`);
    const kh = KnownHosts.load(file);
    expect(kh.verify('node-1.example.com', 22, keyA)).toEqual({ kind: 'match' });
    expect(kh.verify('NODE-1.example.com', 22, keyA)).toEqual({ kind: 'match' });
    expect(kh.verify('db.EXAMPLE.com', 2222, keyA)).toEqual({ kind: 'match' });
    // A changed key under a differently cased name is a change, not a host never seen.
    expect(kh.verify('node-1.example.com', 22, keyB)).toEqual({
      kind: 'changed',
      known: [{ type: 'ssh-ed25519', fingerprint: fingerprint(keyA), line: 1 }],
    });
  });

  it('matches a hashed entry by the lowercased name, as OpenSSH hashes it', () => {
    const file = join(dir, 'hashed-case');
    writeFileSync(
      file,
      `${hashed('node-2.example.com')} ssh-ed25519 ${keyA.toString('base64')}\n${hashed('[db2.example.com]:2222')} ssh-ed25519 ${keyA.toString('base64')}\n`,
    );
    const kh = KnownHosts.load(file);
    expect(kh.verify('Node-2.Example.COM', 22, keyA)).toEqual({ kind: 'match' });
    expect(kh.verify('DB2.example.com', 2222, keyB).kind).toBe('changed');
  });

  it('reads * and ? as wildcards and every other character, brackets too, as itself', () => {
    const file = join(dir, 'wildcards');
    writeFileSync(
      file,
      [
        `[10.0.0.*]:2222 ssh-ed25519 ${keyA.toString('base64')}`,
        `db-?.example.com ssh-ed25519 ${keyA.toString('base64')}`,
        `[a-c]x.example.com ssh-ed25519 ${keyA.toString('base64')}`,
      ].join('\n'),
    );
    const kh = KnownHosts.load(file);
    expect(kh.verify('10.0.0.7', 2222, keyA)).toEqual({ kind: 'match' });
    expect(kh.verify('10.0.0.7', 2222, keyB).kind).toBe('changed');
    expect(kh.verify('10.0.0.7', 22, keyA)).toEqual({ kind: 'unknown' });
    expect(kh.verify('10.0.1.7', 2222, keyA)).toEqual({ kind: 'unknown' });
    expect(kh.verify('db-1.example.com', 22, keyA)).toEqual({ kind: 'match' });
    expect(kh.verify('db-12.example.com', 22, keyA)).toEqual({ kind: 'unknown' });
    // Not a character class: only the literal name matches.
    expect(kh.verify('bx.example.com', 22, keyA)).toEqual({ kind: 'unknown' });
    expect(kh.verify('[A-C]X.example.com', 22, keyA)).toEqual({ kind: 'match' });
  });

  it('skips an entry whose negated pattern matches the host', () => {
    const file = join(dir, 'negated');
    writeFileSync(file, `*.example.com,!Bastion.example.com ssh-ed25519 ${keyA.toString('base64')}\n`);
    const kh = KnownHosts.load(file);
    expect(kh.verify('db.example.com', 22, keyA)).toEqual({ kind: 'match' });
    expect(kh.verify('bastion.EXAMPLE.com', 22, keyA)).toEqual({ kind: 'unknown' });
  });

  it('trusts a new key only when no entry knows the host under its address or its name', () => {
    const file = join(dir, 'decide');
    writeFileSync(file, `Pg-Node-1 ssh-ed25519 ${keyA.toString('base64')}\n10.0.0.9 ssh-ed25519 ${keyA.toString('base64')}\n`);
    const kh = KnownHosts.load(file);
    // Known by name only, with another key: refused though new keys are trusted.
    expect(kh.decide('10.0.0.5', 'pg-node-1', 22, keyB, true)).toEqual({
      accept: false,
      host: 'pg-node-1',
      verdict: { kind: 'changed', known: [{ type: 'ssh-ed25519', fingerprint: fingerprint(keyA), line: 1 }] },
    });
    expect(kh.decide('10.0.0.9', 'other', 22, keyB, true)).toMatchObject({ accept: false, host: '10.0.0.9', verdict: { kind: 'changed' } });
    // Known by name only, as today: unknown without the flag, accepted and recorded with it when the key is the same.
    expect(kh.decide('10.0.0.5', 'pg-node-1', 22, keyA, false)).toEqual({ accept: false, host: '10.0.0.5', verdict: { kind: 'unknown' } });
    expect(kh.decide('10.0.0.5', 'pg-node-1', 22, keyA, true)).toEqual({ accept: true });
    expect(kh.decide('10.0.0.6', 'pg-node-6', 22, keyB, true)).toEqual({ accept: true });
    expect(readFileSync(file, 'utf8').split('\n').slice(2)).toEqual([
      `10.0.0.5 ssh-ed25519 ${keyA.toString('base64')}`,
      `10.0.0.6 ssh-ed25519 ${keyB.toString('base64')}`,
      '',
    ]);
  });

  it('records a new host under its lowercased name, as OpenSSH does', () => {
    const file = join(dir, 'added-case');
    KnownHosts.load(file).add('New-Host.Example.COM', 2222, keyA);
    expect(readFileSync(file, 'utf8')).toBe(`[new-host.example.com]:2222 ssh-ed25519 ${keyA.toString('base64')}\n`);
  });
});
