import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAPROXY_LOADED } from '../../roles/haproxy/render.ts';
import { patroniConfPath } from '../../roles/pgsql/patroni-conf.ts';
import { PGBOUNCER_RELOAD_FILES, PGBOUNCER_RESTART_FILES } from '../../roles/pgsql/pgbouncer-files.ts';
import { pendingScript } from '../../roles/reloads.ts';
import { dbsuQuery, onNode, recap, results, ROOT, runEntry, sandbox, SANDBOX_INVENTORY, type Run } from './harness.ts';

// Fault injection: ./deploy.ts interrupted (SIGINT) and killed (SIGKILL) at several points of a fresh deploy, then
// run to the end. Runs on extra nodes of its own, so PGSTY_E2E_NO_RESET=1 can leave the default ones to others.
const NAMES = (process.env.PGSTY_E2E_INTERRUPT_NODES ?? 'x75,x76,x77,x78').split(',');
const IPS = NAMES.map((name) => `10.10.10.${name.replace(/^x/, '')}`);
const INVENTORY = join(mkdtempSync(join(tmpdir(), 'pgsty-interrupt-')), 'sandbox.yml');
writeFileSync(
  INVENTORY,
  readFileSync(SANDBOX_INVENTORY, 'utf8').replace(/10\.10\.10\.1([0-3])\b/g, (_, d: string) => IPS[Number(d)] as string),
);

type Event = Record<string, unknown>;

/**
 * ./deploy.ts --json as a user starts it, sent `signal` `delayMs` after the first task_start of a task whose title
 * ends with `task`. Resolves with the run's output, the signal that ended it (null when it exited) and whether the
 * task was reached at all.
 */
function deployAndSignal(task: string, signal: NodeJS.Signals, delayMs: number): Promise<Run & { killedBy: string | null; reached: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'deploy.ts'), ['-i', INVENTORY, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let reached = false;
    child.stdout.on('data', (chunk: Buffer) => {
      const start = stdout.length;
      stdout += chunk.toString();
      const fresh = stdout.slice(stdout.lastIndexOf('\n', start - 1) + 1, stdout.lastIndexOf('\n') + 1);
      for (const line of fresh.split('\n').filter((l) => l.startsWith('{'))) {
        const event = JSON.parse(line) as Event;
        if (!reached && event.type === 'task_start' && String(event.task).endsWith(task)) {
          reached = true;
          setTimeout(() => child.kill(signal), delayMs);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, killedBy) => {
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Event);
      resolve({ code: code ?? -1, stdout, stderr, events, killedBy, reached });
    });
  });
}

/** What a SIGINT run must show: it stopped after the tasks running then, with a recap, and exit code 130. */
function expectInterrupted(run: Run & { reached: boolean }): void {
  expect(run.reached).toBe(true);
  expect(run.code).toBe(130);
  const notice = run.events.findIndex((e) => e.type === 'warning' && String(e.msg).startsWith('interrupted by SIGINT'));
  expect(notice).toBeGreaterThan(0);
  expect(run.events.slice(notice).filter((e) => e.type === 'task_start')).toEqual([]);
  // Every host that started the task running at the signal reports it, finished or abandoned.
  const running = run.events
    .slice(0, notice)
    .filter((e) => e.type === 'task_start')
    .at(-1) as { task: string; hosts: string[] };
  const finished = results(run, running.task);
  expect(finished.map((e) => e.host).sort()).toEqual([...running.hosts].sort());
  console.log(
    `interrupted in "${running.task}": ${finished.map((e) => `${e.host} ${e.status}${e.status === 'failed' ? ` (${e.msg})` : ''}`).join(', ')}`,
  );
  expect(run.events.at(-1)).toMatchObject({ type: 'recap', interrupted: true, signal: 'SIGINT', exit_code: 130 });
}

/**
 * Staging files the file modules write next to a destination before renaming it into place (`.NAME.XXXXXX`, a file
 * or a directory), left behind anywhere a role writes.
 */
/** The PostgreSQL instance on each node of the sandbox inventory: pg-meta-1 on the first, pg-test-1..3 on the others. */
const INSTANCES = ['pg-meta-1', 'pg-test-1', 'pg-test-2', 'pg-test-3'];

/**
 * The reloads a node is owed, read as the roles read them: a service whose config files are newer than the stamp of
 * its last (re)load, or that never got a stamp, and postgres when pg_hba.conf or postgresql.auto.conf changed after
 * pg_conf_load_time().
 */
function owedReloads(index: number): string[] {
  const ip = IPS[index] as string;
  const services: Record<string, string[]> = {
    haproxy: HAPROXY_LOADED,
    patroni: [patroniConfPath(INSTANCES[index] as string)],
    pgbouncer: [...PGBOUNCER_RESTART_FILES, ...PGBOUNCER_RELOAD_FILES],
  };
  const owed = Object.entries(services)
    .filter(([service, files]) => onNode(ip, pendingScript(service, files)).stdout.trim() !== '')
    .map(([service]) => `${NAMES[index]} ${service}`);
  const loaded = Number(dbsuQuery(ip, 'SELECT extract(epoch FROM pg_conf_load_time())'));
  const changed = onNode(ip, 'stat -c %.9Y /pg/data/pg_hba.conf /pg/data/postgresql.auto.conf').stdout.split('\n').filter(Boolean).map(Number);
  if (!Number.isFinite(loaded) || changed.some((m) => m > loaded)) owed.push(`${NAMES[index]} postgres`);
  return owed;
}

const STAGING = "find -H /etc /pg /data /var/lib /usr/local -xdev -regextype posix-extended -regex '.*/\\.[^/]+\\.[A-Za-z0-9]{6}' 2>/dev/null";

describe('deploy interrupted and killed at several points, then run again', () => {
  beforeAll(() => sandbox('reset', ...NAMES));
  afterAll(() => sandbox('reset', ...NAMES));

  it('SIGINT while the node packages install: the running task finishes, no task starts after, a recap, exit 130', async () => {
    expectInterrupted(await deployAndSignal('node : install the default node packages', 'SIGINT', 3000));
  });

  it('SIGKILL while the patroni config is written', async () => {
    const run = await deployAndSignal('pgsql : render the patroni config', 'SIGKILL', 100);
    expect(run.reached).toBe(true);
    expect(run.killedBy).toBe('SIGKILL');
  });

  it('SIGKILL while pgbouncer.ini is written', async () => {
    const run = await deployAndSignal('pgsql : write pgbouncer.ini', 'SIGKILL', 100);
    expect(run.reached).toBe(true);
    expect(run.killedBy).toBe('SIGKILL');
  });

  it('SIGINT while the haproxy service files are written', async () => {
    expectInterrupted(await deployAndSignal('pgsql : write haproxy service files', 'SIGINT', 100));
  });

  it('a full run then converges, makes the reloads the interrupted runs owed, leaves no package half-installed and no staging file, and the next run changes nothing', async () => {
    // The last interrupt let "write haproxy service files" finish and stopped before haproxy's reload.
    const owedBefore = IPS.flatMap((_, i) => owedReloads(i));
    console.log(`reloads owed before the converging run: ${owedBefore.join(', ')}`);
    expect(owedBefore.filter((o) => o.endsWith(' haproxy'))).not.toEqual([]);
    const converge = await runEntry('deploy.ts', ['-i', INVENTORY, '--json']);
    const failed = results(converge).filter((e) => e.status === 'failed' || e.status === 'unreachable');
    expect(failed.map((e) => `${e.host} ${e.task}: ${e.msg}`)).toEqual([]);
    expect(converge.code).toBe(0);
    expect(IPS.flatMap((_, i) => owedReloads(i))).toEqual([]);
    const again = await runEntry('deploy.ts', ['-i', INVENTORY, '--json']);
    expect(again.code).toBe(0);
    expect(
      results(again)
        .filter((e) => e.status === 'changed')
        .map((e) => `${e.host} ${e.task}`),
    ).toEqual([]);
    expect(Object.values(recap(again).hosts).map((c) => c.changed)).toEqual([0, 0, 0, 0]);
    for (const ip of IPS) {
      expect({ ip, staging: onNode(ip, STAGING).stdout }).toEqual({ ip, staging: '' });
      expect({ ip, audit: onNode(ip, 'dpkg --audit').stdout }).toEqual({ ip, audit: '' });
    }
  });
});
