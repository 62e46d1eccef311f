import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { limitRefusal } from '../../engine/cli.ts';
import type { Task } from '../../engine/dsl.ts';
import { loadInventory, parseInventory } from '../../engine/inventory.ts';
import type { Vars } from '../../engine/inventory-types.ts';
import { tuneTasks as kernelTasks } from '../../roles/node/tasks/tune.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';
import { etcdPrefix } from '../../roles/pg_remove/etcd-keys.ts';
import { pgRemove } from '../../roles/pg_remove/role.ts';
import { tasksOf } from './role-tasks.ts';

const ROOT = join(import.meta.dirname, '../..');
const INVENTORY = join(ROOT, 'test/fixtures/cli/full.yml');
// pgsql-rm.ts is started only against hosts that never resolve: the sandbox may be up while unit tests run, and a
// guard that let a limit through would otherwise remove whatever answers at its addresses.
const UNREACHABLE = join(ROOT, 'test/fixtures/cli/unreachable.yml');

function pgsqlRm(...args: string[]) {
  const r = spawnSync(join(ROOT, 'pgsql-rm.ts'), ['-i', UNREACHABLE, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pgsql-rm.ts refuses to run without naming its target', () => {
  it('exits 1 before any connection without -l', () => {
    const r = pgsqlRm('--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: --limit: pgsql-rm is destructive: it needs -l naming the cluster or hosts to act on (expected e.g. -l pg-test)',
    );
    expect(r.stdout).toBe('');
  });

  it('exits 1 for a limit with a term that is not a group or host name', () => {
    for (const limit of ['all', '*', 'all:!pg-meta', 'pg-test,all']) {
      const r = pgsqlRm('-l', limit, '--json');
      expect(r.code, limit).toBe(1);
      expect(r.stderr, limit).toMatch(/is not a group or host name; name the clusters or hosts instead/);
      expect(r.stdout, limit).toBe('');
    }
  });

  it('exits 1 for a limit that selects by shape: regex, glob, slices of all (together every cluster), exclusion or intersection alone, @file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limit-'));
    writeFileSync(join(dir, 'hosts'), 'all\n');
    try {
      for (const [limit, why] of [
        ['~.*', 'the term "~.*" is not a group or host name'],
        ['*.invalid', 'the term "*.invalid" is not a group or host name'],
        ['pg-*', 'the term "pg-*" is not a group or host name'],
        ['pg-t*', 'the term "pg-t*" is not a group or host name'],
        ['all[0],all[1:]', 'the term "all[0]" is not a group or host name'],
        ['!nothing', 'no term names hosts, so it starts from every host'],
        ['&all', 'no term names hosts, so it starts from every host'],
        [`@${join(dir, 'hosts')}`, 'the term "all" is not a group or host name'],
      ]) {
        const r = pgsqlRm('-l', limit!, '--json');
        expect(r.code, limit).toBe(1);
        expect(r.stderr, limit).toContain(`error: --limit: pgsql-rm is destructive: -l ${limit}: ${why}; name the clusters or hosts instead`);
        expect(r.stdout, limit).toBe('');
      }
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('takes a limit naming a cluster or host, even the only cluster of its inventory', () => {
    const multi = loadInventory(INVENTORY);
    for (const limit of [
      'pg-test',
      'pg-meta,pg-test',
      '10.10.10.11',
      'pg-test[0]',
      'pg-test[1:]',
      'pg-test:!10.10.10.12',
      'pg-test:&pg-test',
      '!pg-meta:pg-test',
    ]) {
      expect(limitRefusal(multi, limit), limit).toBeUndefined();
    }
    expect(limitRefusal(multi, undefined)).toBe('it needs -l naming the cluster or hosts to act on');
    const single = parseInventory('all:\n  children:\n    pg-meta:\n      hosts: { 10.10.10.10: { pg_seq: 1, pg_role: primary } }\n', 'one.yml');
    for (const limit of ['pg-meta', '10.10.10.10']) expect(limitRefusal(single, limit), limit).toBeUndefined();
    for (const limit of ['all', 'pg-*', 'all[0:]', '~.*', '!pg-test', '~pg-meta'])
      expect(limitRefusal(single, limit), limit).toMatch(/is not a group or host name|starts from every host/);
  });

  it('still lists hosts and tasks without -l (nothing runs)', () => {
    expect(pgsqlRm('--list-hosts').code).toBe(0);
  });

  it('lists the safeguard as a guard that --skip-tags and -t cannot leave out', () => {
    const r = pgsqlRm('--list-tasks', '--json', '--skip-tags', 'pg_safeguard,always', '-t', 'pg_data');
    const tasks = (JSON.parse(r.stdout).plays[0].tasks as { task: string; guard?: boolean }[]).map((t) => `${t.task}${t.guard ? ' (guard)' : ''}`);
    expect(tasks).toEqual(['pg_remove : abort when pg_safeguard is on (guard)', 'pg_remove : remove postgres data']);
    expect(pgsqlRm('--list-tasks', '--skip-tags', 'pg_safeguard').stdout).toMatch(
      /abort when pg_safeguard is on\tTAGS: \[always, pg_safeguard\]\tGUARD \(always runs\)/,
    );
  });
});

describe('inventory values in the shell commands of the roles are quoted', () => {
  const cmdOf = (t: Task<Vars> | undefined, v: Vars): string =>
    String((typeof t?.args === 'function' ? t.args(v, undefined as never) : (t?.args as { cmd: string })).cmd);
  const hostile = '/pg/data; touch /tmp/owned';

  it('pg_remove stops postgres with the data directory, binaries and dbsu as single words', () => {
    const v = {
      ...PARAM_DEFAULTS,
      pg_data: hostile,
      pg_bin_dir: '/usr/lib/postgresql/15/bin $(id)',
      pg_dbsu: 'postgres',
      pg_cluster: "pg-test'x",
      groups: { etcd: ['10.10.10.10'] },
    };
    const tasks = tasksOf<Vars>(pgRemove.tasks);
    const stop = cmdOf(tasks.get('stop postgres replicas'), v);
    expect(stop).toContain(`'/usr/lib/postgresql/15/bin $(id)/pg_ctl' -D '/pg/data; touch /tmp/owned' stop -m immediate`);
    expect(cmdOf(tasks.get('stop pgbackrest and delete the stanza'), v)).toContain(`pgbackrest '--stanza=pg-test'"'"'x' --force stop`);
    expect(cmdOf(tasks.get('remove the cluster from etcd'), v)).toContain(`etcdctl del '/pg/pg-test'"'"'x/' --prefix`);
  });

  it("pg_remove clears the cluster's etcd prefix: the Citus shard and group, Pigsty's pg_id defaults when unset", () => {
    const host = { ...PARAM_DEFAULTS, inventory_hostname: '10.10.10.10', group_names: [], groups: {}, hostvars: {}, pg_cluster: 'pg-c1' };
    expect(etcdPrefix(host)).toBe('/pg/pg-c1/');
    expect(etcdPrefix({ ...host, pg_mode: 'citus' })).toBe('/pg/pg-c1/0/');
    expect(etcdPrefix({ ...host, pg_mode: 'citus', pg_shard: 'pg-citus', pg_group: 2, pg_namespace: '/ns' })).toBe('/ns/pg-citus/2/');
  });

  it('the node role loads kernel modules by quoted name', () => {
    const tasks = tasksOf<Vars>(kernelTasks);
    expect(cmdOf(tasks.get('find the kernel modules not loaded yet'), { node_kernel_modules: ['softdog', 'x;reboot'] })).toContain(
      `for m in softdog 'x;reboot'; do`,
    );
  });
});
