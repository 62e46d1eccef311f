import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shq, wrapBecome } from '../../engine/connection/shell.ts';

describe('shell quoting', () => {
  const hostile = ["plain", "with space", "it's", 'x"; DROP DATABASE postgres; --', '$(touch /tmp/pwned)', '`id`', 'a\nb', '', '*', '-n'];

  it('turns any value into exactly one literal word for sh', () => {
    for (const value of hostile) {
      const out = execFileSync('sh', ['-c', `printf '%s' ${shq(value)}`], { encoding: 'utf8' });
      expect(out).toBe(value);
    }
  });

  it('wraps a command in sudo only when the become user differs from the login user', () => {
    expect(wrapBecome('id', 'root', { user: 'root' })).toEqual({ command: 'id', stdinPrefix: '' });
    expect(wrapBecome('id -u', 'admin', { user: 'root' })).toEqual({ command: "sudo -n -H -u root -- sh -c 'cd / && id -u'", stdinPrefix: '' });
    expect(wrapBecome('id', 'admin', { user: 'postgres', password: 'pw' })).toEqual({
      command: "sudo -S -p '' -H -u postgres -- sh -c 'cd / && id'",
      stdinPrefix: 'pw\n',
    });
  });
});
