import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ModuleFailure } from '../engine/module.ts';

/** PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated by the server, so we refuse them. */
export const MAX_NAME_BYTES = 63;

/** Refuse a name PostgreSQL would truncate or cannot store; `what` says which argument it is. */
export function checkName(name: string, what: string): string {
  if (name === '') throw new ModuleFailure(`${what} must not be empty`);
  if (name.includes('\0')) throw new ModuleFailure(`${what} ${JSON.stringify(name)} contains a NUL byte`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) {
    throw new ModuleFailure(`${what} ${JSON.stringify(name)} is ${bytes} bytes long; PostgreSQL names are at most ${MAX_NAME_BYTES} bytes`);
  }
  return name;
}

/** An SQL identifier in double quotes, embedded quotes doubled: always one name, never code. */
export function quoteIdent(name: string): string {
  checkName(name, 'name');
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * An SQL string literal. Quotes are doubled; a value with a backslash uses the E'' form with backslashes
 * doubled, which reads the same whatever standard_conforming_strings says.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new ModuleFailure('a string value contains a NUL byte, which PostgreSQL cannot store');
  const body = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/** A value inside a libpq connection string (dbname='...'), so a name with '=' or spaces stays a name. */
export function conninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

//------------------------------------------------------------------ passwords

/** The parts of a stored SCRAM-SHA-256 secret: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>. */
export interface ScramSecret {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const SCRAM_SECRET = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*):([A-Za-z0-9+/]+=*)$/;
const MD5_SECRET = /^md5[0-9a-f]{32}$/;

/** Parse a SCRAM-SHA-256 secret as pg_authid stores it; undefined for anything else. */
export function parseScramSecret(secret: string): ScramSecret | undefined {
  const m = SCRAM_SECRET.exec(secret);
  if (!m) return undefined;
  const [, iterations, salt, storedKey, serverKey] = m as unknown as [string, string, string, string, string];
  const parsed = {
    iterations: Number(iterations),
    salt: Buffer.from(salt, 'base64'),
    storedKey: Buffer.from(storedKey, 'base64'),
    serverKey: Buffer.from(serverKey, 'base64'),
  };
  if (parsed.iterations < 1 || parsed.storedKey.length !== 32 || parsed.serverKey.length !== 32) return undefined;
  return parsed;
}

/** Whether a password value is already a secret PostgreSQL stores as given (md5 hash or SCRAM verifier). */
export function isPasswordSecret(password: string): boolean {
  return MD5_SECRET.test(password) || parseScramSecret(password) !== undefined;
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();

/** StoredKey and ServerKey for a password (already SASLprep'ed) with a salt and iteration count (RFC 5802, RFC 7677). */
export function scramKeys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { storedKey: createHash('sha256').update(clientKey).digest(), serverKey: hmac(salted, 'Server Key') };
}

/** A SCRAM-SHA-256 verifier for an ASCII password, as PostgreSQL would store it: a random 16-byte salt and 4096 iterations by default. */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const { storedKey, serverKey } = scramKeys(saslprep(password) ?? password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** The md5 secret PostgreSQL stores: 'md5' followed by md5(password || username) in hex. */
export function md5Secret(password: string, user: string): string {
  return `md5${createHash('md5')
    .update(password + user, 'utf8')
    .digest('hex')}`;
}

type Ranges = readonly (readonly [number, number])[];
const inRanges = (cp: number, ranges: Ranges): boolean => ranges.some(([lo, hi]) => cp >= lo && cp <= hi);

// RFC 3454 tables as PostgreSQL's SASLprep applies them (C.1.2 is mapped to a space before B.1 is dropped).
const NON_ASCII_SPACE: Ranges = [
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
const MAPPED_TO_NOTHING: Ranges = [
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];
const PROHIBITED: Ranges = [
  [0x0, 0x1f],
  [0x7f, 0x9f],
  [0x340, 0x341],
  [0x6dd, 0x6dd],
  [0x70f, 0x70f],
  [0x180e, 0x180e],
  [0x200c, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0x2ff0, 0x2ffb],
  [0xd800, 0xdfff],
  [0xe000, 0xf8ff],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffd],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
  [0xf0000, 0x10ffff],
];
// Unassigned now means unassigned in Unicode 3.2 too (PostgreSQL's table A.1); Cn also covers every noncharacter.
const UNASSIGNED = /\p{Cn}/u;

/**
 * SASLprep (RFC 4013) as PostgreSQL applies it before hashing: ASCII is kept as is; otherwise map, NFKC and
 * check prohibited characters. Undefined means "prohibited" (PostgreSQL then hashes the raw password). The
 * bidirectional check and Unicode 3.2's exact unassigned table are not reproduced, so a result for non-ASCII
 * input is a best guess: callers compare against both this and the raw password.
 */
export function saslprep(password: string): string | undefined {
  const chars = [...password];
  if (chars.every((c) => (c.codePointAt(0) ?? 0) < 0x80)) return password;
  const mapped = chars
    .map((c) => (inRanges(c.codePointAt(0) ?? 0, NON_ASCII_SPACE) ? ' ' : c))
    .filter((c) => !inRanges(c.codePointAt(0) ?? 0, MAPPED_TO_NOTHING))
    .join('')
    .normalize('NFKC');
  if ([...mapped].some((c) => inRanges(c.codePointAt(0) ?? 0, PROHIBITED) || UNASSIGNED.test(c))) return undefined;
  return mapped;
}

/** Whether a plain password produces this SCRAM secret (keys recomputed with the secret's own salt and iterations). */
export function scramMatches(password: string, secret: ScramSecret): boolean {
  const candidates = new Set([saslprep(password) ?? password, password]);
  for (const candidate of candidates) {
    const keys = scramKeys(candidate, secret.salt, secret.iterations);
    if (timingSafeEqual(keys.storedKey, secret.storedKey) && timingSafeEqual(keys.serverKey, secret.serverKey)) return true;
  }
  return false;
}

/** The stored secret's kind: what passwordMatches can compare and what a replacement should keep. */
export type SecretKind = 'scram-sha-256' | 'md5' | 'none' | 'unknown';

/** The kind of a pg_authid.rolpassword value (null: no password). */
export function secretKind(stored: string | null): SecretKind {
  if (stored === null) return 'none';
  if (parseScramSecret(stored)) return 'scram-sha-256';
  return MD5_SECRET.test(stored) ? 'md5' : 'unknown';
}

/**
 * Whether the given password (plain or an md5/SCRAM secret) is the one pg_authid stores for the user,
 * without setting anything: a SCRAM secret is checked by recomputing its keys, md5 as md5(password || user).
 */
export function passwordMatches(password: string, user: string, stored: string | null): boolean {
  if (stored === null) return false;
  if (isPasswordSecret(password)) return password === stored;
  const scram = parseScramSecret(stored);
  if (scram) return scramMatches(password, scram);
  if (MD5_SECRET.test(stored)) return md5Secret(password, user) === stored;
  return false;
}
