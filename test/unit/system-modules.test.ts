import { describe, expect, it } from 'vitest';
import { checkLines, updateBlock } from '../../modules/cron.ts';
import { parseHostname } from '../../modules/hostname.ts';
import { parseTimezone } from '../../modules/timezone.ts';
import { condition, pollScript } from '../../modules/wait-for.ts';

describe('cron blocks', () => {
  const base = 'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n';
  const block = (name: string, lines: string[]) => `# BEGIN pigsty: ${name}\n${lines.join('\n')}\n# END pigsty: ${name}\n`;

  it('appends a new block, replaces it in place, and removes it', () => {
    const one = updateBlock(base, 'node', ['00 01 * * * root backup']);
    expect(one).toBe(`${base}${block('node', ['00 01 * * * root backup'])}`);
    const withTail = `${one}# hand-written\n`;
    expect(updateBlock(withTail, 'node', ['30 02 * * * root backup'])).toBe(`${base}${block('node', ['30 02 * * * root backup'])}# hand-written\n`);
    expect(updateBlock(withTail, 'node', [])).toBe(`${base}# hand-written\n`);
  });

  it('keeps other blocks and files without a trailing newline; leaves a file alone when there is nothing to remove', () => {
    const two = updateBlock(updateBlock('', 'a', ['@daily x']), 'b', ['@hourly y']);
    expect(updateBlock(two, 'a', [])).toBe(block('b', ['@hourly y']));
    expect(updateBlock('MAILTO=root', 'a', ['@daily x'])).toBe(`MAILTO=root\n${block('a', ['@daily x'])}`);
    expect(updateBlock('MAILTO=root', 'a', [])).toBe('MAILTO=root');
  });

  it('moves copies of managed lines found outside the block into it', () => {
    const old = `${base}00 01 * * * root backup\n`;
    expect(updateBlock(old, 'node', ['00 01 * * * root backup'])).toBe(`${base}${block('node', ['00 01 * * * root backup'])}`);
  });

  it('checks that job lines have their fields', () => {
    expect(() => checkLines(['00 01 * * * root /pg/bin/pg-backup full', '@reboot root x', 'MAILTO=""', '# note'], true)).not.toThrow();
    expect(() => checkLines(['00 01 * * * /pg/bin/pg-backup full'], false)).not.toThrow();
    expect(() => checkLines(['00 01 * * * /pg/bin/pg-backup'], true)).toThrow('is not "min hour dom mon dow user command"');
    expect(() => checkLines(['1 2 3 4 $(x) cmd'], false)).toThrow('line 1');
  });
});

describe('hostname and timezone reads', () => {
  it('parses the hostname read', () => {
    expect(parseHostname('kernel meta\nfile meta\nsystemd\n')).toEqual({ kernel: 'meta', file: 'meta', systemd: true });
    expect(parseHostname('kernel localhost\n')).toEqual({ kernel: 'localhost', file: undefined, systemd: false });
  });

  it('parses the time zone read, from absolute and relative links', () => {
    expect(parseTimezone('link /usr/share/zoneinfo/Etc/UTC\nfile Etc/UTC\ndebian\nknown\n')).toEqual({ link: 'Etc/UTC', file: 'Etc/UTC', debian: true, known: true });
    expect(parseTimezone('link ../usr/share/zoneinfo/Asia/Shanghai\nknown\n')).toMatchObject({ link: 'Asia/Shanghai', file: undefined, debian: false });
    expect(parseTimezone('link /somewhere/else\n').link).toBeUndefined();
  });
});

describe('wait_for conditions', () => {
  it('builds port and path tests with every value quoted', () => {
    expect(condition({ port: 5432, host: '10.10.10.11', state: 'stopped', connect_timeout: 2 })).toEqual({
      test: `! timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ 10.10.10.11 5432 2>/dev/null`,
      what: 'port 5432 on 10.10.10.11 to be closed',
    });
    expect(condition({ path: "/tmp/it's" }).test).toBe(`[ -e '/tmp/it'"'"'s' ]`);
    expect(condition({ path: '/pg/log', search_regex: "ready'$(x)" })).toMatchObject({
      test: `[ -f /pg/log ] && grep -qsP -e 'ready'"'"'$(x)' -- /pg/log`,
      what: "/pg/log to match /ready'$(x)/",
    });
    expect(() => condition({ path: '/x', search_regex: 'a', state: 'absent' })).toThrow('cannot be combined with state absent');
  });

  it('polls with a deadline and validates a regex first', () => {
    const script = pollScript({ test: '[ -e /x ]', what: '/x to exist', regex: 'a(' }, 30, 2, 1);
    expect(script.split('\n')).toEqual([
      'set -u',
      `err=$(grep -qP -e 'a(' -- /dev/null 2>&1)`,
      `if [ $? -eq 2 ]; then printf 'badregex %s\\n' "$err"; exit 0; fi`,
      'sleep 2',
      's=${EPOCHREALTIME/./}',
      'while :; do',
      '  t=$(( (${EPOCHREALTIME/./} - s) / 1000000 ))',
      '  if [ -e /x ]; then echo "ok $t"; exit 0; fi',
      '  if [ "$t" -ge 30 ]; then echo "timeout $t"; exit 0; fi',
      '  sleep 1',
      'done',
    ]);
  });
});
