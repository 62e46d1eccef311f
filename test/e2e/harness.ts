import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const NODES = { meta: '10.10.10.10', 'node-1': '10.10.10.11', 'node-2': '10.10.10.12', 'node-3': '10.10.10.13' } as const;
export const SANDBOX_INVENTORY = join(ROOT, 'inventory', 'sandbox.yml');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Parsed --json events, when the run asked for them. */
  events: Record<string, unknown>[];
}

/** Run a TypeScript entry point of the project as a user would, and collect its output. */
export function runEntry(entry: string, args: string[]): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('node', ['--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs'), join(ROOT, entry), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const events = args.includes('--json')
        ? stdout
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
      resolvePromise({ code: code ?? -1, stdout, stderr, events });
    });
  });
}

/** Run a command on a node over plain OpenSSH, independently of the engine, to read back what it did. */
export function onNode(ip: string, command: string): { code: number; stdout: string } {
  const r = spawnSync('ssh', ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `root@${ip}`, command], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout };
}

/** One query run by psql as the dbsu on a node, unaligned and without headers; its trimmed output (errors too). */
export function dbsuQuery(ip: string, query: string, db = 'postgres'): string {
  return onNode(ip, `cd / && runuser -u postgres -- psql -d ${db} -AXtqc ${JSON.stringify(query)} 2>&1`).stdout.trim();
}

/** Drive the sandbox command (up, reset, stop, start). */
export function sandbox(...args: string[]): void {
  const r = spawnSync(join(ROOT, 'sandbox.sh'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`sandbox.sh ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
}

/** task_result events of a --json run, optionally for one task. */
export function results(run: Run, task?: string): Record<string, unknown>[] {
  return run.events.filter((e) => e.type === 'task_result' && (task === undefined || String(e.task).endsWith(task)));
}

/** The recap event of a --json run. */
export function recap(run: Run): { hosts: Record<string, Record<string, number>>; exit_code: number } {
  const event = run.events.find((e) => e.type === 'recap');
  if (!event) throw new Error(`no recap in output:\n${run.stdout}\n${run.stderr}`);
  return event as never;
}
