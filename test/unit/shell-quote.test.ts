import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { wrapBecome } from '../../engine/connection/shell.ts';
import { shq } from '../../engine/shell-quote.ts';

describe('shell quoting', () => {
  const hostile = ['plain', 'with space', "it's", 'x"; DROP DATABASE postgres; --', '$(touch /tmp/pwned)', '`id`', 'a\nb', '', '*', '-n'];

  it('turns any value into exactly one literal word for sh', () => {
    for (const value of hostile) {
      const out = execFileSync('sh', ['-c', `printf '%s' ${shq(value)}`], { encoding: 'utf8' });
      expect(out).toBe(value);
    }
  });

  it('wraps a command in sudo -n, or in a sudo that prompts with the marker, and never holds a password', () => {
    const markers = { prompt: 'pgsty-sudo-ab12:', started: 'pgsty-started-ab12' };
    const started = 'printf "\\000%s\\n" pgsty-started-ab12 >&2';
    expect(wrapBecome('id -u', 'root', markers)).toBe(`sudo -n -H -u root -- sh -c '${started}; cd / && id -u'`);
    expect(wrapBecome('id', 'postgres', markers, { input: 0 })).toBe(
      `sudo -S -p pgsty-sudo-ab12: -H -u postgres -- sh -c '${started}; exec </dev/null; cd / && id'`,
    );
    expect(wrapBecome('cat', 'postgres', markers, { input: 9 })).toBe(
      `sudo -S -p pgsty-sudo-ab12: -H -u postgres -- sh -c '${started}; head -c 9 | { base64 -d | (cd / && cat\n); rc=$?; cat >/dev/null; exit $rc; }'`,
    );
  });
});
