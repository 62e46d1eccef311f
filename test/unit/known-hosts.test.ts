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
      [`10.10.10.10 ssh-ed25519 ${keyA.toString('base64')}`, `${hashed('10.10.10.11')} ssh-ed25519 ${keyB.toString('base64')}`, `[10.10.10.12]:2222 ssh-ed25519 ${keyA.toString('base64')}`].join('\n'),
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
});
