import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeState, stateDiff } from './verify.ts';

/**
 * The benchmark against Ansible: one workload written twice (bench/ansible/site.yml, bench/workload.ts), run
 * alternately on the same nodes, whole-process wall time per run. Cases:
 *   four    4 sandbox nodes: first run on fresh nodes, no-op re-run, check+diff on a changed inventory value
 *   fanout  the same workload on BENCH_FANOUT_HOSTS hosts (52: the 4 plus x52..x99), no-op and check+diff at growing host counts
 *   deploy  the full ./deploy.ts on the 4 nodes, fresh and no-op, with the engine's own (CPU) share of the time
 * The 4 nodes are the default sandbox (meta, node-1..3); BENCH_NODES=x60,x61,x62,x63 picks others when tests
 * are using those.
 * Usage: npm run bench [-- CASE...] (all three by default). BENCH_RUNS (default 5), BENCH_FANOUT_RUNS (default 3)
 * and BENCH_DEPLOY_RUNS (default 3) set the runs per measurement.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
const WORK = join(tmpdir(), 'pigsty-bench');
const CONTROL_DIR = join(WORK, 'cp');
const SANDBOX = join(ROOT, 'sandbox.sh');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const FANOUT_RUNS = Math.max(1, Number(process.env.BENCH_FANOUT_RUNS ?? 3));
const DEPLOY_RUNS = Math.max(1, Number(process.env.BENCH_DEPLOY_RUNS ?? 3));

/** A sandbox node by name (meta, node-1..3, x21..x99), as both inventories and ./sandbox.sh name it. */
const DEFAULT_IPS: Record<string, string> = { meta: '10.10.10.10', 'node-1': '10.10.10.11', 'node-2': '10.10.10.12', 'node-3': '10.10.10.13' };
const node = (name: string) => {
  const ip = DEFAULT_IPS[name] ?? (/^x(\d\d)$/.exec(name) ? `10.10.10.${name.slice(1)}` : undefined);
  if (!ip) throw new Error(`unknown sandbox node "${name}": meta, node-1..node-3 or x21..x99`);
  return { name, node: name, ip };
};
/** The four nodes of the four and deploy cases: the default sandbox, or BENCH_NODES when others are using it. */
const FOUR_NODES = (process.env.BENCH_NODES ?? 'meta,node-1,node-2,node-3').split(',').map((n) => node(n.trim()));
/** Fan-out hosts in all (BENCH_FANOUT_HOSTS, default 52): the four plus extra nodes counted down from x99. */
const FANOUT_HOSTS = Math.min(83, Math.max(5, Number(process.env.BENCH_FANOUT_HOSTS ?? 52)));
/** Extra nodes from x99 down, so the role tests' low numbers (x21..x55) stay free unless many hosts are asked for. */
const EXTRA_NODES = Array.from({ length: 79 }, (_, i) => node(`x${99 - i}`))
  .filter((x) => !FOUR_NODES.some((f) => f.name === x.name))
  .slice(0, FANOUT_HOSTS - FOUR_NODES.length)
  .reverse();
const FANOUT_NODES = [...FOUR_NODES, ...EXTRA_NODES];
const FANOUT_SIZES = [...new Set([4, Math.ceil(FANOUT_NODES.length / 4), Math.ceil(FANOUT_NODES.length / 2), FANOUT_NODES.length])];

type Host = ReturnType<typeof node>;
type Engine = 'ansible' | 'ours';
type Kind = 'first' | 'noop' | 'check';

/** One whole-process run: wall and controller CPU seconds, peak RSS of its process tree, changed tasks. */
interface Sample {
  engine: Engine;
  kind: Kind;
  hosts: number;
  round: number;
  wall_s: number;
  cpu_s: number;
  peak_rss_mb: number;
  /** Share of all the machine's cores busy during the run (controller, nodes and everything else). */
  machine_busy: number;
  changed: number;
  exit_code: number;
}

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

function sh(command: string, args: string[], options: { quiet?: boolean } = {}): string {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', options.quiet ? 'pipe' : 'inherit'] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr ?? ''}${r.stdout}`);
  return r.stdout;
}

/** Debian's ansible-core, installed when missing, as a fresh machine needs it. */
function ensureAnsible(): string {
  const has = () => spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).status === 0;
  if (!has()) {
    log('installing ansible-core with apt-get');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (spawnSync('apt-get', ['install', '-y', 'ansible-core'], { stdio: 'inherit', env }).status !== 0) {
      sh('apt-get', ['update']);
      if (spawnSync('apt-get', ['install', '-y', 'ansible-core'], { stdio: 'inherit', env }).status !== 0)
        throw new Error('apt-get install ansible-core failed');
    }
  }
  return sh('ansible-playbook', ['--version']).split('\n')[0] ?? 'ansible-playbook';
}

/** An Ansible YAML inventory both engines read; bench_value is what the check+diff run changes. */
function writeInventory(name: string, hosts: Host[], benchValue: number): string {
  const lines = [
    'all:',
    '  vars:',
    '    ansible_user: root',
    `    bench_value: ${benchValue}`,
    '    bench_packages: [cron, tree, less]',
    '  children:',
    '    bench:',
    '      hosts:',
    ...hosts.map((h) => `        ${h.name}: { ansible_host: ${h.ip} }`),
  ];
  const file = join(WORK, `${name}.yml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Sum of the resident memory of a process and its descendants, in kB. */
function treeRss(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() as number;
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // The process ended between two reads.
    }
  }
  return total;
}

/** Busy and total jiffies of all cores since boot, from the first line of /proc/stat. */
function cpuJiffies(): { busy: number; total: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}

/**
 * Run a command to completion with its output in a log file. A wrapping sh reports its children's CPU time
 * (cutime + cstime of /proc/$$/stat, which includes every descendant that was waited for) on fd 3.
 */
function timed(
  command: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<{ wall_s: number; cpu_s: number; peak_rss_mb: number; machine_busy: number; exit_code: number; output: string }> {
  const script = '"$@" >"$BENCH_LOG" 2>&1; rc=$?; cat /proc/$$/stat >&3; exit $rc';
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const jiffies = cpuJiffies();
    const child = spawn('sh', ['-c', script, 'sh', ...command], {
      cwd: ROOT,
      env: { ...env, BENCH_LOG: logFile },
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    });
    let stat = '';
    child.stdio[3]?.on('data', (d: Buffer) => (stat += d.toString()));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, treeRss(child.pid as number) - shellRss(child.pid as number))), 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const now = cpuJiffies();
      const machineBusy = (now.busy - jiffies.busy) / Math.max(1, now.total - jiffies.total);
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) / CLK_TCK;
      resolvePromise({
        wall_s: wall,
        cpu_s: cpu,
        peak_rss_mb: peak / 1024,
        machine_busy: machineBusy,
        exit_code: code ?? -1,
        output: readFileSync(logFile, 'utf8'),
      });
    });
  });
}

function shellRss(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Changed tasks summed over the recap lines, which both engines print as `changed=N`. */
function changedCount(output: string): number {
  return [...output.matchAll(/\bchanged=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const ANSIBLE_ENV = {
  ANSIBLE_CONFIG: join(ROOT, 'bench', 'ansible', 'ansible.cfg'),
  ANSIBLE_SSH_CONTROL_PATH_DIR: CONTROL_DIR,
  ANSIBLE_NOCOLOR: '1',
};

function engineCommand(engine: Engine, inventory: string, check: boolean): string[] {
  const mode = check ? ['--check', '--diff'] : [];
  return engine === 'ours'
    ? [join(ROOT, 'bench', 'workload.ts'), '-i', inventory, ...mode]
    : ['ansible-playbook', '-i', inventory, join(ROOT, 'bench', 'ansible', 'site.yml'), ...mode];
}

/** Close Ansible's ControlPersist masters: after a reset their connections lead nowhere. */
function closeControlMasters(): void {
  mkdirSync(CONTROL_DIR, { recursive: true });
  for (const socket of readdirSync(CONTROL_DIR)) {
    spawnSync('ssh', ['-o', `ControlPath=${join(CONTROL_DIR, socket)}`, '-O', 'exit', 'bench'], { stdio: 'ignore' });
  }
}

/** Boot nodes; a node that fails to boot while dozens boot at once gets one more try. */
function upNodes(hosts: Host[]): void {
  const names = hosts.map((h) => h.node);
  try {
    sh(SANDBOX, ['up', ...names], { quiet: true });
  } catch {
    sh(SANDBOX, ['up', ...names], { quiet: true });
  }
}

function resetNodes(hosts: Host[]): void {
  sh(SANDBOX, ['reset', ...hosts.map((h) => h.node)], { quiet: true });
  closeControlMasters();
}

async function measure(engine: Engine, kind: Kind, hosts: Host[], round: number, inventory: string, expect: 'none' | 'some'): Promise<Sample> {
  const logFile = join(WORK, `${engine}-${kind}-${hosts.length}-${round}.log`);
  const env = engine === 'ansible' ? { ...process.env, ...ANSIBLE_ENV } : process.env;
  const r = await timed(engineCommand(engine, inventory, kind === 'check'), env, logFile);
  const changed = changedCount(r.output);
  if (r.exit_code !== 0 || (expect === 'none' ? changed !== 0 : changed === 0)) {
    throw new Error(`${engine} ${kind} on ${hosts.length} hosts: exit ${r.exit_code}, changed=${changed} (see ${logFile})`);
  }
  const busy = `machine busy ${(r.machine_busy * 100).toFixed(0)}%`;
  log(
    `${engine.padEnd(7)} ${kind.padEnd(5)} ${String(hosts.length).padStart(2)} hosts  ${r.wall_s.toFixed(2)} s  cpu ${r.cpu_s.toFixed(2)} s  rss ${r.peak_rss_mb.toFixed(0)} MB  ${busy}  changed=${changed}`,
  );
  return {
    engine,
    kind,
    hosts: hosts.length,
    round,
    wall_s: r.wall_s,
    cpu_s: r.cpu_s,
    peak_rss_mb: r.peak_rss_mb,
    machine_busy: r.machine_busy,
    changed,
    exit_code: r.exit_code,
  };
}

/** Read every node's state after an engine's runs, to compare with the other engine's. */
function states(hosts: Host[]): Map<string, string> {
  return new Map(hosts.map((h) => [h.name, nodeState(h.ip)]));
}

function compareStates(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...a].flatMap(([host, state]) => stateDiff(state, b.get(host) ?? '').map((line) => `${host}: ${line}`));
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

interface Stat {
  median: number;
  min: number;
  max: number;
}
const stat = (xs: number[]): Stat => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** Figures of one measurement: both engines' wall time, the per-pair ratio (Ansible / ours), CPU and memory. */
function summarize(samples: Sample[], kind: Kind, hosts: number) {
  const of = (engine: Engine) => samples.filter((s) => s.engine === engine && s.kind === kind && s.hosts === hosts).sort((a, b) => a.round - b.round);
  const ansible = of('ansible');
  const ours = of('ours');
  const pairs = ansible.flatMap((a) => ours.filter((o) => o.round === a.round).map((o) => a.wall_s / o.wall_s));
  return {
    kind,
    hosts,
    runs: Math.min(ansible.length, ours.length),
    ansible_s: stat(ansible.map((s) => s.wall_s)),
    ours_s: stat(ours.map((s) => s.wall_s)),
    ratio: stat(pairs),
    ansible_cpu_s: median(ansible.map((s) => s.cpu_s)),
    ours_cpu_s: median(ours.map((s) => s.cpu_s)),
    ansible_rss_mb: Math.max(...ansible.map((s) => s.peak_rss_mb)),
    ours_rss_mb: Math.max(...ours.map((s) => s.peak_rss_mb)),
    ansible_busy: median(ansible.map((s) => s.machine_busy)),
    ours_busy: median(ours.map((s) => s.machine_busy)),
  };
}
type Summary = ReturnType<typeof summarize>;

const LABELS: Record<Kind, string> = { first: 'first run', noop: 'no-op re-run', check: 'check+diff' };
const range = (s: Stat, unit = '') => `${s.median.toFixed(2)}${unit} (${s.min.toFixed(2)}-${s.max.toFixed(2)})`;

function table(title: string, rows: Summary[]): string {
  const head = [
    '',
    'hosts',
    'runs',
    'Ansible s, median (min-max)',
    'ours s, median (min-max)',
    'ratio, median (min-max)',
    'CPU s A/ours',
    'peak RSS MB A/ours',
    'machine busy % A/ours',
  ];
  const body = rows.map((r) => [
    LABELS[r.kind as Kind],
    String(r.hosts),
    String(r.runs),
    range(r.ansible_s),
    range(r.ours_s),
    range(r.ratio, 'x'),
    `${r.ansible_cpu_s.toFixed(2)} / ${r.ours_cpu_s.toFixed(2)}`,
    `${r.ansible_rss_mb.toFixed(0)} / ${r.ours_rss_mb.toFixed(0)}`,
    `${(r.ansible_busy * 100).toFixed(0)} / ${(r.ours_busy * 100).toFixed(0)}`,
  ]);
  const lines = [head, ...body].map((cells) => `| ${cells.join(' | ')} |`);
  lines.splice(1, 0, `|${head.map(() => '---').join('|')}|`);
  return `${title}\n\n${lines.join('\n')}\n`;
}

/** Case four: on 4 fresh nodes, each round resets them before each engine's first run; the order alternates. */
async function caseFour(samples: Sample[], problems: string[]): Promise<Summary[]> {
  const hosts = FOUR_NODES;
  upNodes(hosts);
  const inventory = writeInventory('four', hosts, 1);
  const changedInventory = writeInventory('four-changed', hosts, 2);
  for (let round = 0; round <= RUNS; round++) {
    // Round 0 warms apt-cacher-ng, the entry point's cache and Python's bytecode; it is not counted.
    const order: Engine[] = round % 2 ? ['ours', 'ansible'] : ['ansible', 'ours'];
    const after = new Map<Engine, Map<string, string>>();
    for (const engine of order) {
      resetNodes(hosts);
      const run = async (kind: Kind, inv: string, expect: 'none' | 'some') => {
        const sample = await measure(engine, kind, hosts, round, inv, expect);
        if (round > 0) samples.push(sample);
      };
      await run('first', inventory, 'some');
      await run('noop', inventory, 'none');
      after.set(engine, states(hosts));
      await run('check', changedInventory, 'some');
    }
    const diff = compareStates(after.get('ansible') as Map<string, string>, after.get('ours') as Map<string, string>);
    if (diff.length) problems.push(`round ${round}: the engines left different states:\n${diff.join('\n')}`);
    else log(`round ${round}: both engines left the same state on ${hosts.length} nodes`);
  }
  return (['first', 'noop', 'check'] as Kind[]).map((kind) => summarize(samples, kind, hosts.length));
}

/** Case fanout: converge every node once with each engine, then time no-op and check+diff at growing host counts. */
async function caseFanout(
  samples: Sample[],
  problems: string[],
): Promise<{ rows: Summary[]; memory: { before_mb: number; after_mb: number; nodes: number } }> {
  const all = FANOUT_NODES;
  const extra = all.filter((h) => !FOUR_NODES.includes(h));
  upNodes(FOUR_NODES);
  // Extra nodes still running from an earlier run would hide their own memory.
  sh(SANDBOX, ['down', ...extra.map((h) => h.node)], { quiet: true });
  const before = (totalmem() - freemem()) / 2 ** 20;
  upNodes(extra);
  const after = (totalmem() - freemem()) / 2 ** 20;
  try {
    sh(SANDBOX, ['reset', ...all.map((h) => h.node)], { quiet: true });
    closeControlMasters();
    const full = writeInventory('fanout-all', all, 1);
    await measure('ours', 'first', all, 0, full, 'some');
    // Ansible's apt module installs python3-apt on its first run; after that both engines see converged nodes.
    await measure('ansible', 'noop', all, 0, full, 'none');
    const ansibleState = states(all);
    await measure('ours', 'noop', all, 0, full, 'none');
    const diff = compareStates(ansibleState, states(all));
    if (diff.length) problems.push(`fan-out: the engines left different states:\n${diff.join('\n')}`);
    for (const size of FANOUT_SIZES) {
      const hosts = all.slice(0, size);
      const inventory = writeInventory(`fanout-${size}`, hosts, 1);
      const changed = writeInventory(`fanout-${size}-changed`, hosts, 2);
      for (let round = 1; round <= FANOUT_RUNS; round++) {
        const order: Engine[] = round % 2 ? ['ours', 'ansible'] : ['ansible', 'ours'];
        for (const engine of order) samples.push(await measure(engine, 'noop', hosts, round, inventory, 'none'));
        for (const engine of order) samples.push(await measure(engine, 'check', hosts, round, changed, 'some'));
      }
    }
  } finally {
    sh(SANDBOX, ['down', ...extra.map((h) => h.node)], { quiet: true });
  }
  const rows = FANOUT_SIZES.flatMap((size) => (['noop', 'check'] as Kind[]).map((kind) => summarize(samples, kind, size)));
  return { rows, memory: { before_mb: before, after_mb: after, nodes: extra.length } };
}

/** Case deploy: ./deploy.ts on the 4 nodes, fresh then no-op; the engine's share is its CPU time over wall time. */
async function caseDeploy(): Promise<{ fresh: Stat; noop: Stat; fresh_cpu_share: Stat; noop_cpu_share: Stat; startup_s: Stat; runs: number }> {
  const hosts = FOUR_NODES;
  upNodes(hosts);
  // inventory/sandbox.yml names the default nodes by address: on other nodes, the same inventory with theirs.
  const defaults = Object.values(DEFAULT_IPS);
  const sandboxInventory = readFileSync(join(ROOT, 'inventory', 'sandbox.yml'), 'utf8');
  const inventory = join(WORK, 'deploy.yml');
  writeFileSync(
    inventory,
    sandboxInventory.replace(/\b10\.10\.10\.1[0-3]\b/g, (ip) => (hosts[defaults.indexOf(ip)] as Host).ip),
  );
  const deploy = join(ROOT, 'deploy.ts');
  const fresh: { wall: number; cpu: number }[] = [];
  const noop: { wall: number; cpu: number }[] = [];
  const startup: number[] = [];
  // A full deploy takes minutes: no warm-up round, the apt cache is warm from the other cases and the tests.
  for (let round = 1; round <= DEPLOY_RUNS; round++) {
    resetNodes(hosts);
    for (const [kind, into] of [
      ['fresh', fresh],
      ['no-op', noop],
    ] as const) {
      const logFile = join(WORK, `deploy-${kind}-${round}.log`);
      const r = await timed([deploy, '-i', inventory], process.env, logFile);
      if (r.exit_code !== 0) throw new Error(`./deploy.ts (${kind}) failed with exit ${r.exit_code} (see ${logFile})`);
      log(
        `deploy ${kind.padEnd(5)} 4 hosts  ${r.wall_s.toFixed(2)} s  cpu ${r.cpu_s.toFixed(2)} s  rss ${r.peak_rss_mb.toFixed(0)} MB  changed=${changedCount(r.output)}`,
      );
      into.push({ wall: r.wall_s, cpu: r.cpu_s });
    }
    // What the entry point costs before it connects anywhere: load, compile and list the playbook.
    startup.push((await timed([deploy, '-i', inventory, '--list-tasks'], process.env, join(WORK, 'deploy-list.log'))).wall_s);
  }
  return {
    runs: DEPLOY_RUNS,
    fresh: stat(fresh.map((r) => r.wall)),
    noop: stat(noop.map((r) => r.wall)),
    fresh_cpu_share: stat(fresh.map((r) => r.cpu / r.wall)),
    noop_cpu_share: stat(noop.map((r) => r.cpu / r.wall)),
    startup_s: stat(startup),
  };
}

function machine() {
  const os = existsSync('/etc/os-release') ? (/PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '') : '';
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    os,
    kernel: release(),
    node: process.version,
  };
}

function targets(four: Summary[]): string[] {
  const row = (kind: Kind) => four.find((r) => r.kind === kind) as Summary;
  const check = (ok: boolean, text: string) => `${ok ? 'met    ' : 'MISSED '} ${text}`;
  return [
    check(row('noop').ratio.median >= 20, `no-op re-run at least 20x faster than Ansible: ${row('noop').ratio.median.toFixed(1)}x`),
    check(row('noop').ours_s.median < 1, `no-op re-run under 1 s on 4 hosts: ${row('noop').ours_s.median.toFixed(2)} s`),
    check(row('check').ratio.median >= 20, `check+diff at least 20x faster: ${row('check').ratio.median.toFixed(1)}x`),
    check(row('first').ratio.median >= 3, `first run at least 3x faster: ${row('first').ratio.median.toFixed(1)}x`),
  ];
}

async function main(): Promise<void> {
  const cases = process.argv.slice(2).length ? process.argv.slice(2) : ['four', 'fanout', 'deploy'];
  const unknown = cases.filter((c) => !['four', 'fanout', 'deploy'].includes(c));
  if (unknown.length) throw new Error(`unknown case ${unknown.join(', ')}: expected four, fanout or deploy`);
  mkdirSync(WORK, { recursive: true });
  mkdirSync(RESULTS, { recursive: true });
  const ansibleVersion = ensureAnsible();
  const samples: Sample[] = [];
  const problems: string[] = [];
  const started = new Date();
  const m = machine();
  const report: Record<string, unknown> = {
    date: started.toISOString(),
    machine: m,
    ansible: ansibleVersion,
    runs: RUNS,
    fanout_runs: FANOUT_RUNS,
    samples,
    problems,
  };
  const file = join(RESULTS, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  const out: string[] = [];
  // Each case's figures are kept as soon as it ends: a later case failing must not lose them.
  const run = async (name: string, body: () => Promise<void>) => {
    if (!cases.includes(name)) return;
    try {
      await body();
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  };

  await run('four', async () => {
    const four = await caseFour(samples, problems);
    report.four = four;
    out.push(table(`4 hosts, ${RUNS} runs each, alternating (wall time of the whole process, seconds)`, four), targets(four).join('\n'), '');
  });
  await run('fanout', async () => {
    const fanout = await caseFanout(samples, problems);
    report.fanout = fanout;
    out.push(table(`fan-out, ${FANOUT_RUNS} runs each on converged nodes`, fanout.rows));
    out.push(`memory: ${fanout.memory.nodes} extra nodes took ${(fanout.memory.after_mb - fanout.memory.before_mb).toFixed(0)} MB\n`);
  });
  await run('deploy', async () => {
    const d = await caseDeploy();
    report.deploy = d;
    out.push(
      `./deploy.ts on 4 hosts, ${d.runs} runs: fresh ${range(d.fresh, ' s')}, no-op ${range(d.noop, ' s')}; ` +
        `engine's own (CPU) share fresh ${(d.fresh_cpu_share.median * 100).toFixed(0)}%, no-op ${(d.noop_cpu_share.median * 100).toFixed(0)}%; ` +
        `start-up (--list-tasks) ${range(d.startup_s, ' s')}\n`,
    );
  });
  process.stdout.write(
    `\n${started.toISOString().slice(0, 10)}, ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, ${m.os}, node ${m.node}, ${ansibleVersion}\n\n${out.join('\n')}\nresults: ${file}\n`,
  );
  if (problems.length) {
    process.stderr.write(`\n${problems.join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
