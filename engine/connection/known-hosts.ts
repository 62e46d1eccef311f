import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One key line from a known_hosts file. */
interface KnownKey {
  type: string;
  key: Buffer;
  revoked: boolean;
  line: number;
}

export type HostKeyVerdict =
  | { kind: 'match' }
  | { kind: 'unknown' }
  | { kind: 'revoked'; line: number }
  | { kind: 'changed'; known: { type: string; fingerprint: string; line: number }[] };

/** The algorithm name at the start of an SSH public key blob (e.g. ssh-ed25519). */
export function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('ascii');
}

/** OpenSSH's SHA256 fingerprint of a public key blob. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The name OpenSSH looks a host up by: lowercased (hashed entries hash that lowercased name), bare on port 22,
 * [name]:port otherwise.
 */
function entryName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** OpenSSH's host patterns: `*` is any run of characters, `?` any one, every other character itself; no case. */
function wildcard(pattern: string): RegExp {
  const parts = [...pattern.toLowerCase()].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')));
  return new RegExp(`^${parts.join('')}$`, 's');
}

function matchesName(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  return wildcard(pattern).test(name);
}

/** A known_hosts file: lookups for host key verification, appends for newly trusted hosts. */
export class KnownHosts {
  private constructor(
    readonly file: string,
    private readonly lines: string[],
  ) {}

  static load(file: string): KnownHosts {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    return new KnownHosts(file, text.split('\n'));
  }

  /** Every key recorded for the host, in file order. */
  keysFor(host: string, port: number): KnownKey[] {
    const name = entryName(host, port);
    const found: KnownKey[] = [];
    this.lines.forEach((raw, index) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const fields = line.split(/\s+/);
      let revoked = false;
      if (fields[0]?.startsWith('@')) {
        const marker = fields.shift();
        if (marker === '@cert-authority') return;
        revoked = marker === '@revoked';
      }
      const [names, type, key] = fields;
      if (!names || !type || !key) return;
      const patterns = names.split(',');
      if (patterns.some((p) => p.startsWith('!') && matchesName(p.slice(1), name))) return;
      if (!patterns.some((p) => !p.startsWith('!') && matchesName(p, name))) return;
      found.push({ type, key: Buffer.from(key, 'base64'), revoked, line: index + 1 });
    });
    return found;
  }

  /** Key types recorded for a host, to offer the server only those during key exchange. */
  typesFor(host: string, port: number): string[] {
    return [
      ...new Set(
        this.keysFor(host, port)
          .filter((k) => !k.revoked)
          .map((k) => k.type),
      ),
    ];
  }

  /** Compare a presented key with what the file records for the host. */
  verify(host: string, port: number, blob: Buffer): HostKeyVerdict {
    const keys = this.keysFor(host, port);
    const revoked = keys.find((k) => k.revoked && k.key.equals(blob));
    if (revoked) return { kind: 'revoked', line: revoked.line };
    const valid = keys.filter((k) => !k.revoked);
    if (valid.some((k) => k.key.equals(blob))) return { kind: 'match' };
    if (valid.length === 0) return { kind: 'unknown' };
    return { kind: 'changed', known: valid.map((k) => ({ type: k.type, fingerprint: fingerprint(k.key), line: k.line })) };
  }

  /**
   * Whether to accept a presented key: yes when the file records it for the address. With trustNew, also when
   * the file knows the host under neither its address nor its inventory name (and a key recorded under the name
   * is checked as one under the address is): a new key is never trusted over one the file holds.
   */
  decide(
    address: string,
    name: string,
    port: number,
    blob: Buffer,
    trustNew: boolean,
  ): { accept: true } | { accept: false; verdict: HostKeyVerdict; host: string } {
    const verdict = this.verify(address, port, blob);
    if (verdict.kind === 'match') return { accept: true };
    if (verdict.kind !== 'unknown' || !trustNew) return { accept: false, verdict, host: address };
    const byName = name === address ? verdict : this.verify(name, port, blob);
    if (byName.kind === 'changed' || byName.kind === 'revoked') return { accept: false, verdict: byName, host: name };
    this.add(address, port, blob);
    return { accept: true };
  }

  /** Record a newly trusted key, creating the file when needed. */
  add(host: string, port: number, blob: Buffer): void {
    const line = `${entryName(host, port)} ${keyType(blob)} ${blob.toString('base64')}`;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const text = existsSync(this.file) ? readFileSync(this.file, 'utf8') : '';
    appendFileSync(this.file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`, { mode: 0o600 });
    this.lines.push(line);
  }
}
