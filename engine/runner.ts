import pLimit from 'p-limit';
import { compilePlaybook, type CompiledPlay, type CompiledTask } from './compile.ts';
import { UnreachableError, type Become, type Connection } from './connection/types.ts';
import type { Playbook } from './dsl.ts';
import { groupsMap, initialHostStates, taskVars, type HostState } from './host-state.ts';
import type { Inventory, Vars } from './inventory-types.ts';
import type { EventSink, HostCounts, HostStatus, RunEvent, TaskResultEvent } from './output/events.ts';
import { applyLimit, resolvePattern } from './patterns.ts';
import { taskSelected, type TagSelection } from './tags.ts';
import { exceptionOutcome, executeTask, step, unifiedDiff, type TaskOutcome } from './task-exec.ts';
import { mergeLayers } from './vars.ts';

/** Opens a connection to a host from its variables (ansible_host, ansible_user, ...). */
export type Connector = (host: string, vars: Vars) => Promise<Connection>;

export interface RunOptions {
  inventory: Inventory;
  limit?: string;
  extraVars: Vars;
  check: boolean;
  diff: boolean;
  tags: TagSelection;
  forks: number;
  /** Overrides every play's strategy. */
  strategy?: 'linear' | 'free';
  startAtTask?: string;
  connector: Connector;
  sink: EventSink;
  /**
   * Learns the secrets a run comes to know, before any event that could show them: facts and registered results
   * under secret names (collect) and values modules mark secret (add).
   */
  secrets?: { collect(vars: unknown): void; add(value: unknown): void };
  /**
   * Aborted, with the signal's name as its reason, to stop the run: no task or handler starts after it, running
   * tasks get `interruptGraceMs` to finish before their commands are abandoned and the connections closed.
   */
  interrupt?: AbortSignal;
  /** 30 s unless set. */
  interruptGraceMs?: number;
  /** Failed task results of exceptions carry the stack trace (-v). */
  verbose?: boolean;
}

export interface RunSummary {
  hosts: Record<string, HostCounts>;
  exitCode: number;
  durationMs: number;
  /** The signal that stopped the run early. */
  interrupted?: string;
}

/** Ansible's exit codes: 0 all went well, 2 a task failed, 4 a host was unreachable. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 2;
export const EXIT_UNREACHABLE = 4;
/** A run stopped by a signal exits as a shell reports a process killed by it: 128 + the signal's number. */
export const EXIT_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
const DEFAULT_GRACE_MS = 30_000;

const emptyCounts = (): HostCounts => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, ignored: 0 });

/** Split a play's hosts into serial batches: counts, percentages, or a list whose last size repeats. */
export function batches(hosts: string[], serial: number | string | (number | string)[] | undefined): string[][] {
  if (serial === undefined || hosts.length === 0) return [hosts];
  const sizes = (Array.isArray(serial) ? serial : [serial]).map((s) => {
    const n = typeof s === 'string' && s.endsWith('%') ? Math.floor((hosts.length * Number(s.slice(0, -1))) / 100) : Number(s);
    return Math.max(1, Number.isFinite(n) ? n : hosts.length);
  });
  const out: string[][] = [];
  let start = 0;
  for (let i = 0; start < hosts.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)] as number;
    out.push(hosts.slice(start, start + size));
    start += size;
  }
  return out;
}

/** Runs a playbook over an inventory: plays in order, hosts in parallel, one connection per host. */
export class Runner {
  private readonly options: RunOptions;
  /** The sink as given, for the recap, which comes after everything else. */
  private readonly out: EventSink;
  private readonly states: Map<string, HostState>;
  private readonly groups: Record<string, string[]>;
  private readonly counts = new Map<string, HostCounts>();
  private readonly timings: { task: string; host: string; duration_ms: number }[] = [];
  private readonly delegated = new Map<string, Promise<Connection>>();
  private startReached: boolean;
  /** Tasks running on a host now, with the start of their result event: reported as abandoned if cut off. */
  private readonly running = new Set<{ base: Omit<TaskResultEvent, 'status' | 'duration_ms'>; started: number }>();
  private currentPlay: string | undefined;
  /** Set once the run has given up on running tasks, or ended: nothing reported later counts or shows. */
  private abandoned = false;
  private readonly graceMs: number;
  private readonly gracePassed: Promise<void>;

  constructor(options: RunOptions) {
    // Events from tasks still running when an interrupt's grace period ran out must not follow the recap.
    this.out = options.sink;
    const sink: EventSink = { emit: (event) => (this.abandoned ? undefined : options.sink.emit(event)), close: () => options.sink.close() };
    this.options = { ...options, sink };
    const interrupt = options.interrupt;
    const grace = (this.graceMs = options.interruptGraceMs ?? DEFAULT_GRACE_MS);
    this.gracePassed = new Promise((resolve) => {
      const onAbort = () => {
        sink.emit({
          type: 'warning',
          msg: `interrupted by ${String(interrupt?.reason)}: no new task starts, running tasks get ${grace / 1000} s to finish`,
        });
        setTimeout(resolve, grace).unref();
      };
      interrupt?.addEventListener('abort', onAbort, { once: true });
    });
    this.states = initialHostStates(options.inventory);
    this.groups = groupsMap(options.inventory);
    this.startReached = options.startAtTask === undefined;
  }

  /** Hosts a play targets after --limit, in inventory order. */
  playHosts(pattern: string): string[] {
    const hosts = resolvePattern(this.options.inventory, pattern).hosts;
    return this.options.limit ? applyLimit(this.options.inventory, hosts, this.options.limit, { cwd: process.cwd() }) : hosts;
  }

  async run(playbook: Playbook): Promise<RunSummary> {
    const started = Date.now();
    const plays = compilePlaybook(playbook);
    const allHosts = [...new Set(plays.flatMap((p) => this.playHosts(p.hosts)))];
    this.options.sink.emit({ type: 'run_start', playbook: playbook.name, check: this.options.check, diff: this.options.diff, hosts: allHosts });
    for (const host of allHosts) this.counts.set(host, emptyCounts());
    const playAll = async () => {
      for (const play of plays) {
        if (this.interrupted() || !(await this.runPlay(play))) break;
      }
    };
    try {
      await Promise.race([playAll(), this.gracePassed.then(() => this.abandon())]);
    } finally {
      await Promise.all(
        [...this.states.values()].map(async (s) => (s.connection ? (await s.connection.catch(() => undefined))?.close() : undefined)),
      );
      await Promise.all([...this.delegated.values()].map(async (c) => (await c.catch(() => undefined))?.close()));
    }
    const hosts = Object.fromEntries(this.counts);
    const anyUnreachable = Object.values(hosts).some((c) => c.unreachable > 0);
    const anyFailed = Object.values(hosts).some((c) => c.failed > 0);
    const signal = this.interrupted();
    const exitCode = signal ? (EXIT_SIGNAL[signal] ?? 130) : anyUnreachable ? EXIT_UNREACHABLE : anyFailed ? EXIT_FAILED : EXIT_OK;
    const durationMs = Date.now() - started;
    const slowest = [...this.timings].sort((a, b) => b.duration_ms - a.duration_ms).slice(0, 5);
    const recap: RunEvent = {
      type: 'recap',
      duration_ms: durationMs,
      hosts,
      slowest,
      exit_code: exitCode,
      ...(signal ? { interrupted: true as const, signal } : {}),
    };
    this.out.emit(recap);
    this.abandoned = true;
    return { hosts, exitCode, durationMs, ...(signal ? { interrupted: signal } : {}) };
  }

  /** The signal that interrupted the run, if one did. */
  private interrupted(): string | undefined {
    const interrupt = this.options.interrupt;
    return interrupt?.aborted ? String(interrupt.reason) : undefined;
  }

  /**
   * The grace period after an interrupt ran out: the tasks still running are reported failed and left behind (the
   * connections close under their commands), and the display's current play ends.
   */
  private abandon(): void {
    if (this.abandoned) return;
    for (const { base, started } of this.running) {
      this.count(base.host, 'failed');
      this.options.sink.emit({
        ...base,
        status: 'failed',
        duration_ms: Date.now() - started,
        msg: `abandoned: still running ${this.graceMs / 1000} s after the interrupt`,
      });
    }
    if (this.currentPlay !== undefined) this.options.sink.emit({ type: 'play_end', play: this.currentPlay });
    this.abandoned = true;
  }

  private active(hosts: string[]): HostState[] {
    return hosts.map((h) => this.states.get(h) as HostState).filter((s) => !s.failed && !s.unreachable);
  }

  /** Runs a play; false when the run must stop there (any_errors_fatal, max_fail_percentage). */
  private async runPlay(play: CompiledPlay): Promise<boolean> {
    const hosts = this.playHosts(play.hosts).filter((h) => this.states.has(h) || h === 'localhost');
    this.learnPlaySecrets(play, hosts);
    this.options.sink.emit({ type: 'play_start', play: play.name, hosts });
    if (hosts.length === 0) {
      this.options.sink.emit({ type: 'warning', msg: `play "${play.name}": no hosts matched "${play.hosts}"` });
      return true;
    }
    this.currentPlay = play.name;
    const strategy = this.options.strategy ?? play.play.strategy ?? 'linear';
    let fatal: string | undefined;
    for (const batch of batches(hosts, play.play.serial)) {
      fatal = strategy === 'linear' ? await this.runLinear(play, batch) : await this.runFree(play, batch);
      await this.runHandlers(play, batch);
      if (fatal || this.interrupted() || this.active(batch).length === 0) break;
    }
    // Ansible ends the whole run here too ("NO MORE HOSTS LEFT"): later plays build on this one.
    if (fatal) this.options.sink.emit({ type: 'warning', msg: `play "${play.name}": ${fatal}; no further plays run` });
    this.options.sink.emit({ type: 'play_end', play: play.name });
    this.currentPlay = undefined;
    return !fatal;
  }

  /**
   * Role defaults and role or play vars under secret names, as each host's tasks see them: a default the inventory
   * overrides is no secret of this run (Pigsty's `pigsty` would otherwise hide every word `pigsty`).
   */
  private learnPlaySecrets(play: CompiledPlay, hosts: string[]): void {
    const secrets = this.options.secrets;
    if (!secrets) return;
    const own = { ...play.defaults, ...(play.play.vars ?? {}), ...play.roleVars };
    for (const host of hosts) {
      const state = this.states.get(host);
      const seen = mergeLayers(play.defaults, state?.inventory ?? {}, play.play.vars ?? {}, play.roleVars, this.options.extraVars);
      secrets.collect(Object.fromEntries(Object.keys(own).map((key) => [key, seen[key]])));
    }
  }

  private selected(task: CompiledTask): boolean {
    // A guard runs even before the --start-at-task task, without counting as reaching it.
    if (task.guard) return true;
    if (!this.startReached) {
      const pattern = this.options.startAtTask as string;
      if (task.name !== pattern && task.title !== pattern) return false;
      this.startReached = true;
    }
    return taskSelected(task, this.options.tags);
  }

  /** Ansible's default: every host finishes a task before any host starts the next. Returns why the run must stop, if it must. */
  private async runLinear(play: CompiledPlay, batch: string[]): Promise<string | undefined> {
    const limit = pLimit(this.options.forks);
    for (const step of play.steps) {
      if (this.interrupted()) return undefined;
      if (step.kind === 'flush_handlers') {
        await this.runHandlers(play, batch);
        continue;
      }
      const task = step.task;
      if (!this.selected(task)) continue;
      const targets = this.active(batch);
      if (targets.length === 0) return undefined;
      const runOn = task.task.run_once ? targets.slice(0, 1) : targets;
      this.options.sink.emit({ type: 'task_start', play: play.name, task: task.title, hosts: runOn.map((s) => s.name) });
      const outcomes = await Promise.all(runOn.map((state) => limit(() => this.runTaskOnHost(play, task, state))));
      if (task.task.run_once && outcomes[0]) {
        // run_once results and facts belong to every host of the batch, as in Ansible.
        for (const other of targets.slice(1)) Object.assign(other.facts, outcomes[0].facts);
      }
      const fatal = this.shouldAbort(play, batch, outcomes);
      if (fatal) return fatal;
    }
    return undefined;
  }

  /** Each host runs through the play at its own pace, bounded by forks. Returns why the run must stop, if it must. */
  private async runFree(play: CompiledPlay, batch: string[]): Promise<string | undefined> {
    const limit = pLimit(this.options.forks);
    let aborted: string | undefined;
    const first = batch[0];
    await Promise.all(
      this.active(batch).map((state) =>
        limit(async () => {
          for (const step of play.steps) {
            if (aborted || this.interrupted() || state.failed || state.unreachable) return;
            if (step.kind === 'flush_handlers') continue;
            if (!taskSelected(step.task, this.options.tags)) continue;
            if (step.task.task.run_once && state.name !== first) continue;
            const outcome = await this.runTaskOnHost(play, step.task, state);
            aborted ??= this.shouldAbort(play, batch, [outcome]);
          }
        }),
      ),
    );
    return aborted;
  }

  /** Why the run must stop after these outcomes (any_errors_fatal, max_fail_percentage), if it must. */
  private shouldAbort(play: CompiledPlay, batch: string[], outcomes: (TaskOutcome | undefined)[]): string | undefined {
    const failedNow = outcomes.some((o) => o && o.status === 'failed' && !o.ignored);
    if (failedNow && play.play.any_errors_fatal) {
      for (const state of this.active(batch)) state.failed = true;
      return 'a task failed under any_errors_fatal';
    }
    const max = play.play.max_fail_percentage;
    if (max !== undefined) {
      const failed = batch.filter((h) => this.states.get(h)?.failed || this.states.get(h)?.unreachable).length;
      if ((failed / batch.length) * 100 > max) return `${failed} of ${batch.length} hosts failed, over max_fail_percentage ${max}`;
    }
    return undefined;
  }

  private become(play: CompiledPlay, task: CompiledTask, vars: Vars): Become | undefined {
    const enabled = task.task.become ?? play.play.become ?? false;
    if (!enabled) return undefined;
    const userSetting = task.task.become_user;
    const user = typeof userSetting === 'function' ? userSetting(vars, undefined) : (userSetting ?? play.play.become_user ?? 'root');
    const password = (vars.ansible_become_password ?? vars.ansible_become_pass) as string | undefined;
    return password === undefined ? { user } : { user, password };
  }

  private connectionFor(state: HostState, vars: Vars): Promise<Connection> {
    if (!state.connection) {
      state.connection = this.options.connector(state.name, vars);
      // A failed connect must not stay an unhandled rejection while nobody awaits it.
      state.connection.catch(() => undefined);
    }
    return state.connection;
  }

  private delegateConnection(target: string): Promise<Connection> {
    const state = this.states.get(target);
    if (state) return this.connectionFor(state, state.inventory);
    let conn = this.delegated.get(target);
    if (!conn) {
      conn = this.options.connector(target, {});
      conn.catch(() => undefined);
      this.delegated.set(target, conn);
    }
    return conn;
  }

  /**
   * Run one task on one host and report it; returns undefined when the host turned out unreachable. An exception
   * from role or module code fails this host alone.
   */
  private async runTaskOnHost(play: CompiledPlay, task: CompiledTask, state: HostState, handler = false): Promise<TaskOutcome | undefined> {
    const started = Date.now();
    const base = {
      type: 'task_result' as const,
      play: play.name,
      task: task.title,
      host: state.name,
      check: this.options.check,
      ...(handler ? { handler } : {}),
    };
    const context = { host: state.name, play: play.name, task: task.title };
    const running = { base, started };
    this.running.add(running);
    let delegateTo: string | undefined;
    let outcome: TaskOutcome;
    try {
      const vars = step('computing variables', context, () =>
        taskVars(this.options.inventory, this.states, state, play, this.options.extraVars, this.groups),
      );
      const delegateSetting = task.task.delegate_to;
      delegateTo = step('computing delegate_to', context, () =>
        typeof delegateSetting === 'function' ? delegateSetting(vars, undefined) : delegateSetting,
      );
      const target = delegateTo;
      outcome = await executeTask(task, {
        host: state.name,
        vars,
        check: this.options.check,
        connect: () => (target ? this.delegateConnection(target) : this.connectionFor(state, vars)),
        become: step('computing become_user', context, () => this.become(play, task, vars)),
        playName: play.name,
      });
    } catch (error) {
      if (!(error instanceof UnreachableError)) {
        outcome = exceptionOutcome(task, error, context);
      } else {
        state.unreachable = true;
        this.count(state.name, 'unreachable');
        this.options.sink.emit({ ...base, status: 'unreachable', duration_ms: Date.now() - started, msg: error.message });
        return undefined;
      }
    } finally {
      this.running.delete(running);
    }
    Object.assign(state.facts, outcome.facts);
    this.options.secrets?.collect(outcome.facts);
    this.options.secrets?.add(outcome.secrets ?? []);
    if (outcome.status === 'failed' && !outcome.ignored) state.failed = true;
    if (outcome.status === 'changed') for (const name of task.task.notify ?? []) state.notified.add(name);
    this.report(base, started, outcome, task, delegateTo);
    return outcome;
  }

  private report(
    base: Omit<TaskResultEvent, 'status' | 'duration_ms'>,
    started: number,
    outcome: TaskOutcome,
    task: CompiledTask,
    delegateTo?: string,
  ): void {
    const duration = Date.now() - started;
    const hidden = task.task.no_log === true;
    const event: TaskResultEvent = { ...base, status: outcome.status, duration_ms: duration };
    if (delegateTo) event.delegate_to = delegateTo;
    if (outcome.summary) event.summary = hidden ? 'output hidden by no_log' : outcome.summary;
    // no_log hides all a task's module said, failures included (their text and stderr quote what it handled): the
    // masker only knows the secrets it was told about.
    if (outcome.status === 'failed') event.msg = hidden ? 'failure hidden by no_log' : failureText(outcome);
    if (outcome.exception && this.options.verbose && !hidden) event.exception = outcome.exception;
    if (outcome.ignored) event.ignored = true;
    if (this.options.diff && outcome.diffs.length) event.diff = hidden ? ['diff hidden by no_log'] : outcome.diffs.map(unifiedDiff);
    if (outcome.warnings.length) event.warnings = hidden ? ['warnings hidden by no_log'] : outcome.warnings;
    this.count(base.host, outcome.ignored ? 'ignored' : outcome.status);
    if (outcome.status !== 'skipped') this.timings.push({ task: task.title, host: base.host, duration_ms: duration });
    this.options.sink.emit(event);
  }

  private count(host: string, status: HostStatus | 'ignored'): void {
    // A task abandoned after an interrupt was counted then; the recap it may still finish after is final.
    if (this.abandoned) return;
    const counts = this.counts.get(host) ?? emptyCounts();
    counts[status] += 1;
    if (status === 'changed') counts.ok += 1;
    this.counts.set(host, counts);
  }

  /** Notified handlers, once per host, in definition order; hosts that failed later still get theirs. */
  private async runHandlers(play: CompiledPlay, batch: string[]): Promise<void> {
    const limit = pLimit(this.options.forks);
    for (const handler of play.handlers) {
      // As in Ansible, no handler runs after an interrupt, not even for tasks that completed.
      if (this.interrupted()) return;
      const targets = batch.map((h) => this.states.get(h) as HostState).filter((s) => !s.unreachable && s.notified.has(handler.name));
      if (targets.length === 0) continue;
      this.options.sink.emit({ type: 'task_start', play: play.name, task: handler.title, hosts: targets.map((s) => s.name), handler: true });
      await Promise.all(
        targets.map((state) =>
          limit(async () => {
            state.notified.delete(handler.name);
            await this.runTaskOnHost(play, handler, state, true);
          }),
        ),
      );
    }
  }
}

function failureText(outcome: TaskOutcome): string {
  const r = outcome.result;
  const parts = [r.msg ?? 'failed'];
  if (r.rc !== undefined && !String(r.msg ?? '').includes('exit code')) parts.push(`rc=${r.rc}`);
  if (r.stderr && !String(r.msg ?? '').includes(String(r.stderr).trim())) parts.push(`stderr: ${String(r.stderr).trim()}`);
  return parts.join(' | ');
}
