import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onNode, recap, results, ROOT, runEntry, sandbox, type Run } from './harness.ts';

// The etcd role on its own nodes x31-x33 (a three-member cluster) and x34 (a member added later with etcd_init: existing).
const INVENTORY = join(ROOT, 'test/fixtures/roles/etcd.yml');
const MEMBERS = ['10.10.10.31', '10.10.10.32', '10.10.10.33'];
const JOINER = '10.10.10.34';
const ROOT_PASSWORD = 'Etcd.Root.X3';

/** etcdctl on a node as an interactive root login would run it: TLS and root from /etc/profile.d/etcdctl.sh. */
const etcdctl = (ip: string, args: string, env = ''): { code: number; stdout: string } => {
  const r = onNode(ip, `. /etc/profile.d/etcdctl.sh; ${env} etcdctl ${args} 2>&1`);
  // etcdctl 3.4 logs each refused call as a JSON warning before the error line
  return {
    code: r.code,
    stdout: r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('{"level":"warn"'))
      .join('\n'),
  };
};

const changedOn = (run: Run): Record<string, number> => Object.fromEntries(Object.entries(recap(run).hosts).map(([h, c]) => [h, c.changed ?? -1]));

describe('etcd role on x31-x34', () => {
  let scratch: string;
  /** A play that gives the two PostgreSQL clusters of the inventory their etcd accounts, as the pgsql role does. */
  let accountsEntry: string;
  let joinInventory: string;
  let deploy: Run;
  const started = Date.now();

  beforeAll(async () => {
    sandbox('up', 'x31', 'x32', 'x33', 'x34');
    sandbox('reset', 'x31', 'x32', 'x33', 'x34');
    scratch = mkdtempSync(join(tmpdir(), 'etcd-role-'));
    accountsEntry = join(scratch, 'pg-accounts.mts');
    writeFileSync(
      accountsEntry,
      [
        `import { runCli } from '${ROOT}/engine/cli.ts';`,
        `import { pgId } from '${ROOT}/roles/pg_id/role.ts';`,
        `import { pgEtcdUserTasks } from '${ROOT}/roles/etcd/tasks/pg-etcd-user.ts';`,
        `import { PigstyParams } from '${ROOT}/roles/params.ts';`,
        "const plays = [{ name: 'PG ETCD ACCOUNTS', hosts: 'all', become: true, roles: [pgId], tasks: pgEtcdUserTasks() as never }];",
        // The parameter schema brings the declared defaults (pg_namespace, etcd_port, ...), as in every playbook.
        "process.exitCode = await runCli({ name: 'pg-etcd-accounts', description: 'etcd accounts of the PostgreSQL clusters', plays, schema: PigstyParams });",
      ].join('\n'),
    );
    joinInventory = join(scratch, 'etcd-4.yml');
    writeFileSync(
      joinInventory,
      readFileSync(INVENTORY, 'utf8').replace('10.10.10.33: { etcd_seq: 3 }', `10.10.10.33: { etcd_seq: 3 }\n        ${JOINER}: { etcd_seq: 4 }`),
    );
    deploy = await runEntry('etcd.ts', ['-i', INVENTORY, '--json']);
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('deploys a healthy three-member cluster with mutual TLS', () => {
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    console.log(
      `fresh deploy of x31-x33: ${(Date.now() - started) / 1000}s (playbook ${(recap(deploy) as unknown as { duration_ms: number }).duration_ms} ms)`,
    );
    const health = etcdctl('10.10.10.31', 'endpoint health --cluster');
    expect(health.code, health.stdout).toBe(0);
    expect(health.stdout.match(/is healthy/g)).toHaveLength(3);
    const members = etcdctl('10.10.10.32', 'member list -w simple').stdout;
    for (const [i, ip] of MEMBERS.entries()) expect(members).toContain(`started, etcd-${i + 1}, https://${ip}:2380, https://${ip}:2379, false`);
    // clients authenticate with a password over TLS: without one they are refused
    const noUser = onNode(
      '10.10.10.33',
      'etcdctl --endpoints=https://10.10.10.31:2379 --cacert=/etc/etcd/ca.crt --dial-timeout=2s --command-timeout=3s put /x 1 2>&1',
    );
    expect(noUser.code).not.toBe(0);
  });

  it('writes config, data directory and secrets with the owners and modes asked', () => {
    const modes = onNode(
      '10.10.10.31',
      'stat -c "%n %a %U:%G" /data/etcd /etc/etcd /etc/etcd/etcd.pass /etc/etcd/server.key /etc/profile.d/etcdctl.sh',
    ).stdout;
    expect(modes.trim().split('\n')).toEqual([
      '/data/etcd 700 etcd:etcd',
      '/etc/etcd 750 etcd:etcd',
      '/etc/etcd/etcd.pass 640 root:etcd',
      '/etc/etcd/server.key 600 etcd:etcd',
      '/etc/profile.d/etcdctl.sh 644 root:root',
    ]);
    expect(onNode('10.10.10.31', 'systemctl show -p FragmentPath -p UnitFileState etcd').stdout).toBe(
      'FragmentPath=/etc/systemd/system/etcd.service\nUnitFileState=enabled\n',
    );
    expect(
      onNode(
        '10.10.10.31',
        'grep -c "etcd-1=https://10.10.10.31:2380,etcd-2=https://10.10.10.32:2380,etcd-3=https://10.10.10.33:2380" /etc/etcd/etcd.conf',
      ).stdout,
    ).toBe('1\n');
  });

  it('turns auth on with the inventory root password', () => {
    const anonymous = etcdctl('10.10.10.32', 'user list', 'unset ETCDCTL_USER;');
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stdout).toMatch(/user name (is empty|not found)/);
    expect(etcdctl('10.10.10.32', 'user list', `ETCDCTL_USER=root:${ROOT_PASSWORD}`).stdout).toBe('root\n');
    expect(etcdctl('10.10.10.32', 'user list', 'ETCDCTL_USER=root:Etcd.Root').stdout).toContain('authentication failed');
  });

  it('gives each PostgreSQL cluster an account confined to its own key prefix, once', async () => {
    const entry = relative(ROOT, accountsEntry);
    const first = await runEntry(entry, ['-i', INVENTORY, '--json']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(changedOn(first)).toEqual({ '10.10.10.31': 1, '10.10.10.32': 1, '10.10.10.33': 0 });
    const alpha = 'ETCDCTL_USER=pg-alpha:Alpha.Etcd.Pass';
    expect(etcdctl('10.10.10.33', 'put /pg/pg-alpha/leader pg-alpha-1', alpha).stdout).toBe('OK\n');
    expect(etcdctl('10.10.10.33', 'put /pg/pg-beta/leader pg-alpha-1', alpha).stdout).toContain('permission denied');
    expect(etcdctl('10.10.10.33', 'get /pg/pg-alphabet', alpha).stdout).toContain('permission denied');
    // pg-beta has no pg_etcd_password: its password is the cluster name
    expect(etcdctl('10.10.10.33', 'put /pg/pg-beta/leader pg-beta-1', 'ETCDCTL_USER=pg-beta:pg-beta').stdout).toBe('OK\n');
    expect(etcdctl('10.10.10.33', 'get /pg/pg-alpha/leader', 'ETCDCTL_USER=pg-beta:pg-beta').stdout).toContain('permission denied');

    // a password changed behind the role's back is set again; the other account is left alone
    etcdctl('10.10.10.31', 'user passwd pg-alpha --interactive=false', `echo Other.Pass |`);
    const repair = await runEntry(entry, ['-i', INVENTORY, '--json']);
    expect(changedOn(repair)).toEqual({ '10.10.10.31': 1, '10.10.10.32': 0, '10.10.10.33': 0 });
    expect(results(repair, 'create or repair the etcd account of the cluster').find((r) => r.host === '10.10.10.31')?.summary).toContain(
      'etcdctl user passwd pg-alpha --interactive=false',
    );
    const again = await runEntry(entry, ['-i', INVENTORY, '--json']);
    expect(changedOn(again)).toEqual({ '10.10.10.31': 0, '10.10.10.32': 0, '10.10.10.33': 0 });
  });

  it('changes nothing when run again, in check mode or not', async () => {
    const t0 = Date.now();
    const rerun = await runEntry('etcd.ts', ['-i', INVENTORY, '--json']);
    console.log(`no-op re-run: ${(Date.now() - t0) / 1000}s`);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(changedOn(rerun)).toEqual({ '10.10.10.31': 0, '10.10.10.32': 0, '10.10.10.33': 0 });
    const check = await runEntry('etcd.ts', ['-i', INVENTORY, '--json', '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(changedOn(check)).toEqual({ '10.10.10.31': 0, '10.10.10.32': 0, '10.10.10.33': 0 });
  });

  it('adds a fourth member with etcd_init=existing, after stopping the member Debian starts on install', async () => {
    // With localhost resolvable, Debian's postinst really starts its single-node member on 127.0.0.1:2379.
    onNode(JOINER, 'echo "127.0.0.1 localhost" > /etc/hosts');
    const join4 = await runEntry('etcd.ts', ['-i', joinInventory, '-l', JOINER, '-e', 'etcd_init=existing', '--json']);
    expect(join4.code, join4.stdout + join4.stderr).toBe(0);
    expect(results(join4, 'stop the default member Debian started and remove its data')[0]?.status).toBe('changed');
    expect(results(join4, 'add this member to the running cluster')[0]?.status).toBe('changed');
    expect(onNode(JOINER, 'test -e /var/lib/etcd/default || echo gone').stdout).toBe('gone\n');
    const members = etcdctl(JOINER, 'member list -w simple').stdout;
    expect(members).toContain(`started, etcd-4, https://${JOINER}:2380, https://${JOINER}:2379, false`);
    expect(etcdctl(JOINER, 'endpoint health --cluster').stdout.match(/is healthy/g)).toHaveLength(4);
    const rerun = await runEntry('etcd.ts', ['-i', joinInventory, '-l', JOINER, '-e', 'etcd_init=existing', '--json']);
    expect(changedOn(rerun)).toEqual({ [JOINER]: 0 });
  });
});
