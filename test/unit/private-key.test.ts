import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unprotectedKey } from '../../engine/connection/ssh.ts';

describe('private key file permissions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  const key = (name: string, mode: number) => {
    const file = join(dir, name);
    writeFileSync(file, 'not really a key\n');
    chmodSync(file, mode);
    return file;
  };

  it('accepts a key only its owner may read, as OpenSSH does', () => {
    expect(unprotectedKey(key('private', 0o600))).toBeUndefined();
    expect(unprotectedKey(key('read-only', 0o400))).toBeUndefined();
  });

  it('refuses a key group or others may read or write, saying how to fix it', () => {
    const open = key('open', 0o644);
    expect(unprotectedKey(open)).toBe(
      `private key ${open} is open to group or others (mode 0644): not used, as OpenSSH refuses it; chmod 600 ${open}`,
    );
    expect(unprotectedKey(key('group-writable', 0o620))).toContain('(mode 0620)');
    expect(unprotectedKey(key('others-only', 0o604))).toContain('(mode 0604)');
  });
});
