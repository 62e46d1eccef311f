import { describe, expect, it } from 'vitest';
import {
  checkName,
  conninfoValue,
  isPasswordSecret,
  md5Secret,
  parseScramSecret,
  passwordMatches,
  quoteIdent,
  quoteLiteral,
  saslprep,
  scramKeys,
  scramMatches,
  scramVerifier,
  secretKind,
} from '../../modules/pg-quote.ts';

// Secrets PostgreSQL 15 stored for CREATE ROLE ... PASSWORD (password_encryption scram-sha-256, then md5 for the last).
const PENCIL =
  'SCRAM-SHA-256$4096:1Z0GK/du9Dkzh5K7UCzDoQ==$D98aPA1bsE3CwvhrMrk1LGCu0eV7rDl3vGgE7smRyt8=:zuvivM+J8a4jycb8zXy6GF9uE7e/Ndf3J12fe9EsgZc=';
const UMLAUT_LIGATURE =
  'SCRAM-SHA-256$4096:K+QjJLjoYbVgk/5ZeZAaqw==$YZ6fuQzGDlDDLyzZ7iLQ4ZJ4tIvoja5s6Gmqi7Up/hw=:avhj7MfBq76khnuyDgmQCQMTXjSUqSaKvN7LynFGGa0=';
const SPACE_AND_SOFT_HYPHEN =
  'SCRAM-SHA-256$4096:jWSv6CTQOhgE8CFLJbFg1A==$XpDGOiPAKyzx3MFxCnTZ9Bl4RyPgx/J4LETxSupKiFY=:9n98x72GRM4Q4vQ6zlO6CMFN48g8Rv8Jgb4rxJFjc4Y=';
const PENCIL_MD5 = 'md530b062af4b027ebcac9814b6635729a8'; // for user pgsty_vec4

describe('identifier and literal quoting', () => {
  it('double-quotes identifiers, doubling embedded quotes, so a hostile name stays one name', () => {
    expect(quoteIdent('dbuser_meta')).toBe('"dbuser_meta"');
    expect(quoteIdent('x"; DROP DATABASE postgres; --')).toBe('"x""; DROP DATABASE postgres; --"');
    expect(quoteIdent('Mixed Case')).toBe('"Mixed Case"');
  });

  it('single-quotes literals, doubling quotes, and uses E-strings only for backslashes', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(quoteLiteral("\\'; DROP TABLE x; --")).toBe("E'\\\\''; DROP TABLE x; --'");
    expect(quoteLiteral('line\nbreak $$ :var')).toBe("'line\nbreak $$ :var'");
  });

  it('refuses NUL bytes, empty names and names PostgreSQL would truncate (63 bytes, not characters)', () => {
    expect(() => quoteLiteral('a\0b')).toThrow(/NUL/);
    expect(() => checkName('', 'name')).toThrow('name must not be empty');
    expect(checkName('a'.repeat(63), 'name')).toHaveLength(63);
    expect(() => checkName('a'.repeat(64), 'name')).toThrow(/is 64 bytes long; PostgreSQL names are at most 63 bytes/);
    expect(checkName(`${'é'.repeat(31)}a`, 'name')).toBeTruthy();
    expect(() => quoteIdent('é'.repeat(32))).toThrow(/64 bytes/);
  });

  it('quotes connection string values so a name with = or quotes is not read as options', () => {
    expect(conninfoValue("we'ird = db\\")).toBe("'we\\'ird = db\\\\'");
  });
});

describe('SCRAM-SHA-256 and md5 secrets', () => {
  it('parses the stored secret form and rejects anything else', () => {
    const s = parseScramSecret(PENCIL);
    expect(s?.iterations).toBe(4096);
    expect(s?.salt.toString('base64')).toBe('1Z0GK/du9Dkzh5K7UCzDoQ==');
    expect(parseScramSecret('SCRAM-SHA-256$4096:abc$def')).toBeUndefined();
    expect(parseScramSecret(PENCIL_MD5)).toBeUndefined();
    expect(secretKind(PENCIL)).toBe('scram-sha-256');
    expect(secretKind(PENCIL_MD5)).toBe('md5');
    expect(secretKind(null)).toBe('none');
    expect(secretKind('plain')).toBe('unknown');
  });

  it("recomputes PostgreSQL's own verifier from the password, salt and iteration count", () => {
    const s = parseScramSecret(PENCIL);
    if (!s) throw new Error('vector did not parse');
    const keys = scramKeys('pencil', s.salt, s.iterations);
    expect(keys.storedKey.equals(s.storedKey)).toBe(true);
    expect(keys.serverKey.equals(s.serverKey)).toBe(true);
    expect(scramVerifier('pencil', s.salt, 4096)).toBe(PENCIL);
    expect(scramMatches('pencil', s)).toBe(true);
    expect(scramMatches('pencil ', s)).toBe(false);
  });

  it('generates a fresh salt and 4096 iterations by default, and the verifier verifies', () => {
    const a = scramVerifier('s3cret');
    const b = scramVerifier('s3cret');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(passwordMatches('s3cret', 'anyone', a)).toBe(true);
    expect(passwordMatches('s3cret!', 'anyone', a)).toBe(false);
  });

  it('applies SASLprep as PostgreSQL does: NFKC, non-ASCII spaces mapped, soft hyphens dropped, ASCII kept', () => {
    expect(saslprep('pässwörd ﬁ')).toBe('pässwörd fi');
    expect(saslprep('a\u00A0b\u00ADc')).toBe('a bc');
    expect(saslprep('tab\there')).toBe('tab\there');
    expect(saslprep('ü\u0007')).toBeUndefined();
    expect(passwordMatches('pässwörd ﬁ', 'u', UMLAUT_LIGATURE)).toBe(true);
    expect(passwordMatches('a\u00A0b\u00ADc', 'u', SPACE_AND_SOFT_HYPHEN)).toBe(true);
    expect(passwordMatches('a bc', 'u', SPACE_AND_SOFT_HYPHEN)).toBe(true);
  });

  it('compares md5 secrets as md5(password || username), and pre-hashed values as given', () => {
    expect(md5Secret('pencil', 'pgsty_vec4')).toBe(PENCIL_MD5);
    expect(passwordMatches('pencil', 'pgsty_vec4', PENCIL_MD5)).toBe(true);
    expect(passwordMatches('pencil', 'someone_else', PENCIL_MD5)).toBe(false);
    expect(isPasswordSecret(PENCIL_MD5)).toBe(true);
    expect(isPasswordSecret(PENCIL)).toBe(true);
    expect(isPasswordSecret('pencil')).toBe(false);
    expect(passwordMatches(PENCIL, 'x', PENCIL)).toBe(true);
    expect(passwordMatches('pencil', 'x', null)).toBe(false);
  });
});
