import { describe, expect, it } from 'vitest';
import { checkLines, cron, updateBlock } from '../../modules/cron.ts';
import { b64, fakeHost, runModule, statLine } from './fake-host.ts';

/** The one read: the file, its owner and group, STAT_FN's line and the bytes (see cron's readCommand). */
const SYSTEM_READ = /\nfile=\/etc\/crontab\nowner=root\ngrp=root\n/;
const SPOOL_READ = /\nid -- postgres >\/dev\/null 2>&1 \|\| \{ echo nouser; exit 0; \}\n/;
/** Debian 12's /etc/crontab, shortened. */
const CRONTAB = 'SHELL=/bin/sh\n17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n';
const BLOCK = '# BEGIN pigsty: pg-backup\n00 01 * * * postgres /pg/bin/pg-backup full\n# END pigsty: pg-backup\n';
const read = (path: string, owner: string, group: string, stat: string, content?: string): string =>
  `ok\0${path}\0${owner}\0${group}\0${stat}${content === undefined ? '' : b64(content)}`;
const isWrite = (name: string) => (s: { command: string }) => s.command.startsWith('set -e\n') && s.command.includes(`\nn=${name}\n`);
const JOB = { name: 'pg-backup', lines: ['00 01 * * * postgres /pg/bin/pg-backup full'] };

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

describe('cron', () => {
  it('leaves a crontab whose block already holds the lines alone: one read', async () => {
    const text = CRONTAB + BLOCK;
    const host = fakeHost().on(SYSTEM_READ, { stdout: read('/etc/crontab', 'root', 'root', statLine('file', { size: text.length }), text) });
    expect((await runModule(cron, JOB, host)).result).toEqual({
      changed: false,
      failed: false,
      path: '/etc/crontab',
      name: 'pg-backup',
      lines: JOB.lines,
    });
    expect(host.sent).toHaveLength(1);
  });

  it('appends a new block to /etc/crontab with a diff, written atomically as root 0644', async () => {
    const host = fakeHost()
      .on(SYSTEM_READ, { stdout: read('/etc/crontab', 'root', 'root', statLine('file', { size: CRONTAB.length }), CRONTAB) })
      .on(isWrite('crontab'));
    const { plan } = await runModule(cron, JOB, host);
    expect(plan).toMatchObject({
      summary: 'update /etc/crontab: add block pg-backup',
      diff: [{ path: '/etc/crontab', before: CRONTAB, after: CRONTAB + BLOCK }],
    });
    expect(host.sent[1]?.stdin).toBe(CRONTAB + BLOCK);
    expect(host.sent[1]?.command.split('\n')).toEqual(expect.arrayContaining(['go /etc || exit 1', 'chown root:root new', 'chmod 0644 new']));
  });

  it("creates a user's crontab in Debian's spool, owned by the user and group crontab, mode 0600", async () => {
    const lines = ['*/5 * * * * /pg/bin/pg-vacuum'];
    const host = fakeHost()
      .on(SPOOL_READ, { stdout: read('/var/spool/cron/crontabs/postgres', 'postgres', 'crontab', statLine('absent')) })
      .on(isWrite('postgres'));
    const { plan } = await runModule(cron, { name: 'vacuum', user: 'postgres', lines }, host);
    expect(plan?.summary).toBe('create /var/spool/cron/crontabs/postgres: add block vacuum');
    expect(host.sent[1]?.command.split('\n')).toEqual(
      expect.arrayContaining(['go /var/spool/cron/crontabs || exit 1', 'chown postgres:crontab new', 'chmod 0600 new']),
    );
    expect(host.sent[1]?.stdin).toBe('# BEGIN pigsty: vacuum\n*/5 * * * * /pg/bin/pg-vacuum\n# END pigsty: vacuum\n');
  });

  it('removes the block with state absent, and a missing file with nothing to remove stays missing', async () => {
    const text = CRONTAB + BLOCK;
    const host = fakeHost()
      .once(SYSTEM_READ, { stdout: read('/etc/crontab', 'root', 'root', statLine('file', { size: text.length }), text) })
      .on(isWrite('crontab'))
      .once(/\nfile=\/etc\/cron.d\/pigsty\n/, { stdout: read('/etc/cron.d/pigsty', 'root', 'root', statLine('absent')) });
    expect((await runModule(cron, { name: 'pg-backup', state: 'absent' }, host)).plan?.summary).toBe('update /etc/crontab: remove block pg-backup');
    expect(host.sent[1]?.stdin).toBe(CRONTAB);
    expect((await runModule(cron, { name: 'pg-backup', path: '/etc/cron.d/pigsty', state: 'absent' }, host)).result.changed).toBe(false);
    expect(host.sent).toHaveLength(3);
  });

  it('in check mode reports the change without writing, and only warns when the user does not exist yet', async () => {
    const host = fakeHost({ check: true })
      .on(SYSTEM_READ, { stdout: read('/etc/crontab', 'root', 'root', statLine('file', { size: CRONTAB.length }), CRONTAB) })
      .on(SPOOL_READ, { stdout: 'nouser\n' });
    expect((await runModule(cron, JOB, host)).result.changed).toBe(true);
    const { result, plan } = await runModule(cron, { name: 'vacuum', user: 'postgres', lines: ['@daily /pg/bin/pg-vacuum'] }, host);
    expect(result.changed).toBe(true);
    expect(plan?.warnings).toEqual(['cron: user postgres does not exist']);
    expect(host.sent).toHaveLength(2);
  });

  it('fails for a missing user, and for user and path together before reading', async () => {
    const host = fakeHost().on(SPOOL_READ, { stdout: 'nouser\n' });
    expect((await runModule(cron, { name: 'v', user: 'postgres', lines: ['@daily x'] }, host)).result.msg).toBe('cron: user postgres does not exist');
    expect((await runModule(cron, { name: 'v', user: 'postgres', path: '/etc/crontab' }, host)).result.msg).toBe(
      'cron: give "user" (a user crontab) or "path" (a system crontab), not both',
    );
    expect(host.sent).toHaveLength(1);
  });
});
