import { describe, expect, it } from 'vitest';
import { sha256 } from '../../modules/file-state.ts';
import { parseTimezone, timezone } from '../../modules/timezone.ts';
import { fakeHost, fileOutput, hashOutput, readFileCommand, runModule } from './fake-host.ts';

/** The one read: /etc/localtime's link, /etc/timezone, whether Debian, whether the zone file exists. */
const READ = /^if \[ -L \/etc\/localtime \]; then printf 'link %s\\n'/;
/** What the read prints on a Debian 12 node set to UTC. */
const UTC = 'link /usr/share/zoneinfo/Etc/UTC\nfile Etc/UTC\ndebian\nknown\n';
const SWAP = `tmp=/etc/.localtime.$$; ln -sfn /usr/share/zoneinfo/Asia/Shanghai "$tmp" && mv -Tf "$tmp" /etc/localtime || { rm -f "$tmp"; exit 1; }`;

describe('timezone reads', () => {
  it('parses the time zone read, from absolute and relative links', () => {
    expect(parseTimezone('link /usr/share/zoneinfo/Etc/UTC\nfile Etc/UTC\ndebian\nknown\n')).toEqual({
      link: 'Etc/UTC',
      file: 'Etc/UTC',
      debian: true,
      known: true,
    });
    expect(parseTimezone('link ../usr/share/zoneinfo/Asia/Shanghai\nknown\n')).toMatchObject({
      link: 'Asia/Shanghai',
      file: undefined,
      debian: false,
    });
    expect(parseTimezone('link /somewhere/else\n').link).toBeUndefined();
  });
});

describe('timezone', () => {
  it('leaves a zone already linked and named in /etc/timezone alone: one read', async () => {
    const host = fakeHost().on(READ, { stdout: UTC });
    expect((await runModule(timezone, { name: 'Etc/UTC' }, host)).result).toEqual({ changed: false, failed: false, timezone: 'Etc/UTC' });
    expect(host.sent).toHaveLength(1);
    expect(host.commands[0]).toContain('if [ -f /usr/share/zoneinfo/Etc/UTC ]; then echo known; fi');
  });

  it('swaps the /etc/localtime link atomically and rewrites /etc/timezone on Debian', async () => {
    const host = fakeHost()
      .on(READ, { stdout: UTC })
      .on(readFileCommand('/etc/timezone', 'never', false), { stdout: hashOutput('/etc/timezone', sha256('Etc/UTC\n'), { size: 8 }) })
      .on(readFileCommand('/etc/timezone', 'never', true), { stdout: fileOutput('/etc/timezone', 'Etc/UTC\n') })
      .on(SWAP)
      .on((s) => s.command.startsWith('set -e\n') && s.command.includes('\nn=timezone\n'));
    const { plan } = await runModule(timezone, { name: 'Asia/Shanghai' }, host);
    expect(plan).toMatchObject({
      summary: 'timezone Etc/UTC -> Asia/Shanghai',
      diff: [{ path: '/etc/timezone', before: 'Etc/UTC\n', after: 'Asia/Shanghai\n' }],
    });
    expect(host.commands[3]).toBe(SWAP);
    expect(host.sent[4]?.stdin).toBe('Asia/Shanghai\n');
  });

  it('only relinks on a host without /etc/timezone that is not Debian (EL)', async () => {
    const host = fakeHost().on(READ, { stdout: 'link ../usr/share/zoneinfo/Etc/UTC\nknown\n' }).on(SWAP);
    const { plan } = await runModule(timezone, { name: 'Asia/Shanghai' }, host);
    expect(plan?.diff).toBeUndefined();
    expect(host.commands.slice(1)).toEqual([SWAP]);
  });

  it('in check mode reports the change and sends only reads', async () => {
    const host = fakeHost({ check: true })
      .on(READ, { stdout: UTC })
      .on(readFileCommand('/etc/timezone', 'never', false), { stdout: hashOutput('/etc/timezone', sha256('Etc/UTC\n'), { size: 8 }) })
      .on(readFileCommand('/etc/timezone', 'never', true), { stdout: fileOutput('/etc/timezone', 'Etc/UTC\n') });
    expect((await runModule(timezone, { name: 'Asia/Shanghai' }, host)).result.changed).toBe(true);
    expect(host.commands.some((c) => c === SWAP || c.startsWith('set -e'))).toBe(false);
  });

  it('fails on a zone the host does not have, before changing anything', async () => {
    const host = fakeHost().on(READ, { stdout: 'link /usr/share/zoneinfo/Etc/UTC\nfile Etc/UTC\ndebian\n' });
    expect((await runModule(timezone, { name: 'Mars/Olympus' }, host)).result).toMatchObject({
      failed: true,
      msg: 'unknown time zone Mars/Olympus: /usr/share/zoneinfo/Mars/Olympus does not exist (is tzdata installed?)',
    });
    expect(host.sent).toHaveLength(1);
  });
});
