import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { cron } from '../../modules/cron.ts';
import { waitFor } from '../../modules/wait-for.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const USER = 'pgsty-cron';
const SPOOL = `/var/spool/cron/crontabs/${USER}`;
const STAMP = '/var/tmp/pgsty-cron-ran';
const NODE_LINES = ['00 01 * * * root /usr/bin/true pgsty-backup full', '*/5 * * * * root /usr/bin/true pgsty-check'];

describe('cron module on a sandbox node', () => {
  let conn: Connection;
  let commands = 0;
  let original = '';
  beforeAll(async () => {
    const real = await connectNode(NODES.meta);
    conn = Object.assign(Object.create(real) as Connection, {
      exec: (...args: Parameters<Connection['exec']>) => {
        commands++;
        return real.exec(...args);
      },
    });
    await sh(
      real,
      'command -v cron >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cron; } >/dev/null 2>&1',
    );
    await sh(real, 'systemctl start cron');
    await sh(real, `id ${USER} >/dev/null 2>&1 || useradd -M ${USER}; rm -f ${SPOOL} ${STAMP}`);
    original = await sh(real, 'cat /etc/crontab');
  });
  afterAll(async () => {
    await sh(conn, `printf %s ${JSON.stringify(Buffer.from(original).toString('base64'))} | base64 -d > /etc/crontab`);
    await sh(conn, `rm -f ${SPOOL} ${STAMP}; userdel ${USER}; true`);
    await conn.close();
  });

  it('in check mode shows the block it would append to /etc/crontab and writes nothing', async () => {
    const r = await runModule(conn, cron, { name: 'pgsty-node', lines: NODE_LINES }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe('update /etc/crontab: add block pgsty-node');
    const block = `# BEGIN pigsty: pgsty-node\n${NODE_LINES.join('\n')}\n# END pigsty: pgsty-node\n`;
    expect(r.plan?.diff).toEqual([{ path: '/etc/crontab', before: original, after: `${original}${block}` }]);
    expect(await sh(conn, 'cat /etc/crontab')).toBe(original);
  });

  it('appends the block, then reports unchanged with one remote command', async () => {
    expect((await runModule(conn, cron, { name: 'pgsty-node', lines: NODE_LINES })).result.changed).toBe(true);
    expect(await sh(conn, 'tail -n 4 /etc/crontab')).toBe(`# BEGIN pigsty: pgsty-node\n${NODE_LINES.join('\n')}\n# END pigsty: pgsty-node\n`);
    expect(await sh(conn, 'stat -c "%U:%G %a" /etc/crontab')).toBe('root:root 644\n');
    commands = 0;
    expect((await runModule(conn, cron, { name: 'pgsty-node', lines: NODE_LINES })).result.changed).toBe(false);
    expect(commands).toBe(1);
  });

  it('replaces the block in place and takes over a copy of a managed line left outside it', async () => {
    const [backup = '', check = ''] = NODE_LINES;
    await sh(conn, `echo '${check}' >> /etc/crontab`);
    const lines = [backup.replace('00 01', '30 02'), check];
    const r = await runModule(conn, cron, { name: 'pgsty-node', lines });
    expect(r.plan?.summary).toBe('update /etc/crontab: update block pgsty-node');
    expect(await sh(conn, 'cat /etc/crontab')).toBe(`${original}# BEGIN pigsty: pgsty-node\n${lines.join('\n')}\n# END pigsty: pgsty-node\n`);
  });

  it('removes the block, restoring the file', async () => {
    const r = await runModule(conn, cron, { name: 'pgsty-node', state: 'absent' });
    expect(r.plan?.summary).toBe('update /etc/crontab: remove block pgsty-node');
    expect(await sh(conn, 'cat /etc/crontab')).toBe(original);
    expect((await runModule(conn, cron, { name: 'pgsty-node', state: 'absent' })).result.changed).toBe(false);
  });

  it("writes a user's crontab that cron accepts and runs, owned by the user, group crontab, mode 0600", async () => {
    const job = { name: 'pg', user: USER, lines: ['MAILTO=""', `* * * * * touch ${STAMP}`] };
    const check = await runModule(conn, cron, job, { check: true });
    expect(check.plan?.summary).toBe(`create ${SPOOL}: add block pg`);
    expect(await sh(conn, `test -e ${SPOOL} && echo present || echo absent`)).toBe('absent\n');
    expect((await runModule(conn, cron, job)).result.changed).toBe(true);
    expect(await sh(conn, `stat -c '%U:%G %a' ${SPOOL}`)).toBe(`${USER}:crontab 600\n`);
    expect(await sh(conn, `cat ${SPOOL}`)).toBe(`# BEGIN pigsty: pg\nMAILTO=""\n* * * * * touch ${STAMP}\n# END pigsty: pg\n`);
    expect(await sh(conn, `crontab -l -u ${USER}`)).toContain(`* * * * * touch ${STAMP}\n`);
    expect((await runModule(conn, cron, job)).result.changed).toBe(false);
    const ran = await runModule(conn, waitFor, { path: STAMP, timeout: 75 });
    expect(ran.result.failed).toBe(false);
    expect(await sh(conn, `stat -c %U ${STAMP}`)).toBe(`${USER}\n`);
  });

  it('fails clearly for a missing user (a warning in check mode) and for a line without its fields', async () => {
    const missing = await runModule(conn, cron, { name: 'pg', user: 'pgsty-nouser', lines: ['@daily /bin/true'] });
    expect(missing.result.msg).toBe('cron: user pgsty-nouser does not exist');
    const check = await runModule(conn, cron, { name: 'pg', user: 'pgsty-nouser', lines: ['@daily /bin/true'] }, { check: true });
    expect(check.result).toMatchObject({ changed: true, failed: false });
    expect(check.plan?.warnings).toEqual(['cron: user pgsty-nouser does not exist']);
    commands = 0;
    const noUser = await runModule(conn, cron, { name: 'x', lines: ['00 01 * * * /pg/bin/pg-backup'] });
    expect(noUser.result.msg).toBe('cron: line 1 "00 01 * * * /pg/bin/pg-backup" is not "min hour dom mon dow user command"');
    const few = await runModule(conn, cron, { name: 'x', user: USER, lines: ['@reboot'] });
    expect(few.result.msg).toBe('cron: line 1 "@reboot" is not "@special command"');
    const both = await runModule(conn, cron, { name: 'x', user: USER, path: '/etc/cron.d/x', lines: [] });
    expect(both.result.msg).toBe('cron: give "user" (a user crontab) or "path" (a system crontab), not both');
    expect(commands).toBe(0);
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(cron, { name: 'two words', lines: [] })?.describe()).toContain('argument "name" must match pattern');
    expect(argumentError(cron, { name: 'x', lines: ['* * * * * root a\n* * * * * root b'] })?.describe()).toContain(
      'argument "lines.0" must match pattern',
    );
    expect(argumentError(cron, { name: 'x', lines: '* * * * * root a' })?.describe()).toContain('argument "lines" must be array');
    expect(argumentError(cron, { name: 'x', job: 'a' })?.describe()).toContain('unknown argument "job"');
  });
});
