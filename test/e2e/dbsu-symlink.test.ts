import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onNode, recap, results, ROOT, runEntry, sandbox } from './harness.ts';

// Issue 10's proof, on x61: a PostgreSQL superuser can run commands as the dbsu (COPY ... TO PROGRAM), so the dbsu
// can plant symlinks in its home; the next ./pgsql.ts must leave root's files where those links point untouched.
// One single-node deploy (inventory/pigsty.yml moved to x61), then runs of ./pgsql.ts with links planted.
const IP = '10.10.10.61';
const HOME = '/var/lib/pgsql';
const SECRET = '/root/secret';
const asDbsu = (command: string) => onNode(IP, `cd / && runuser -u postgres -- sh -c '${command}'`);
/** Owner, mode and content of root's file: what the dbsu must not be able to change. */
const secret = () => onNode(IP, `stat -c '%U:%G %a' ${SECRET} && cat ${SECRET}`).stdout;

describe('the dbsu planting symlinks in its home (x61)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsty-dbsu-'));
  const inventory = join(dir, 'x61.yml');

  beforeAll(async () => {
    writeFileSync(inventory, readFileSync(join(ROOT, 'inventory/pigsty.yml'), 'utf8').replaceAll('10.10.10.10', IP));
    sandbox('up', 'x61');
    sandbox('reset', 'x61');
    const deploy = await runEntry('deploy.ts', ['-i', inventory]);
    expect(deploy.code, deploy.stdout.slice(-3000) + deploy.stderr).toBe(0);
    expect(onNode(IP, `printf 'precious\\n' > ${SECRET} && chmod 600 ${SECRET}`).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('./pgsql.ts fails on a ~/.pgpass linked to a root file and leaves that file as it was', async () => {
    expect(asDbsu(`ln -sf ${SECRET} ~/.pgpass`).code).toBe(0);
    const run = await runEntry('pgsql.ts', ['-i', inventory, '--json']);
    expect(run.code).toBe(2);
    expect(results(run, 'write system users to the dbsu pgpass')[0]).toMatchObject({ status: 'failed' });
    expect(secret()).toBe('root:root 600\nprecious\n');
    expect(onNode(IP, `readlink ${HOME}/.pgpass`).stdout).toBe(`${SECRET}\n`);
  });

  it('neither does a linked ~/.ssh/config', async () => {
    expect(asDbsu(`rm -f ~/.pgpass && ln -sf ${SECRET} ~/.ssh/config`).code).toBe(0);
    const run = await runEntry('pgsql.ts', ['-i', inventory, '-t', 'pg_ssh', '--json']);
    expect(run.code).toBe(2);
    expect(results(run, 'let the dbsu ssh to new hosts without asking')[0]).toMatchObject({ status: 'failed' });
    expect(secret()).toBe('root:root 600\nprecious\n');
  });

  it('with the links gone, the next run writes both as the dbsu’s own files again', async () => {
    expect(asDbsu('rm -f ~/.ssh/config').code).toBe(0);
    const run = await runEntry('pgsql.ts', ['-i', inventory, '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(recap(run).hosts[IP]?.failed ?? 0).toBe(0);
    expect(onNode(IP, `stat -c '%F %U:%G %a' ${HOME}/.pgpass ${HOME}/.ssh/config`).stdout).toBe(
      'regular file postgres:postgres 600\nregular file postgres:postgres 600\n',
    );
    expect(secret()).toBe('root:root 600\nprecious\n');
  });
});
