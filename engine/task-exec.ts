import { createTwoFilesPatch } from 'diff';
import { checkArgs } from './args.ts';
import type { CompiledTask } from './compile.ts';
import type { Become, Connection, ExecResult } from './connection/types.ts';
import type { TaskResult } from './dsl.ts';
import { EngineError, type ErrorContext } from './errors.ts';
import type { Vars } from './inventory-types.ts';
import { ModuleFailure, type FileDiff, type Module, type ModuleContext, type Plan } from './module.ts';

/** What running one task on one host produced. */
export interface TaskOutcome {
  result: TaskResult;
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  summary?: string;
  diffs: FileDiff[];
  facts: Vars;
  warnings: string[];
  ignored: boolean;
  /** Values the module marked secret; the output masks them from then on. */
  secrets?: string[];
  /** The stack trace of the exception that failed the task, for -v. */
  exception?: string;
}

/** An exception thrown by role or module code while a task ran, named by the step it came from. */
class StepError extends EngineError {
  constructor(
    what: string,
    readonly thrown: unknown,
    context: ErrorContext,
  ) {
    // One line: the exception's first line names what went wrong; the rest (its stack) is for -v.
    const text = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    super(`${what} threw ${text.split('\n')[0]}`, context);
  }
}

/** Run a step of a task that calls role code; an exception from it becomes an EngineError naming the step. */
export function step<T>(what: string, context: ErrorContext, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof EngineError || (error as Error).name === 'UnreachableError') throw error;
    throw new StepError(what, error, context);
  }
}

/** The failed outcome of a task that threw instead of returning one: the host fails, the run goes on. */
export function exceptionOutcome(ctask: CompiledTask, error: unknown, context: ErrorContext): TaskOutcome {
  const named = error instanceof EngineError ? error : new StepError('the module', error, { ...context, module: ctask.task.module.name });
  const outcome: TaskOutcome = {
    result: { changed: false, failed: true, msg: named.describe() },
    status: 'failed',
    diffs: [],
    facts: {},
    warnings: [],
    ignored: Boolean(ctask.task.ignore_errors),
  };
  if (named instanceof StepError && named.thrown instanceof Error && named.thrown.stack) outcome.exception = named.thrown.stack;
  return outcome;
}

export interface TaskEnv {
  host: string;
  vars: Vars;
  check: boolean;
  /** Opens (or reuses) the connection the task runs over; throws UnreachableError. */
  connect: () => Promise<Connection>;
  become: Become | undefined;
  playName: string;
}

function resolve<T>(value: unknown, vars: Vars, item: unknown): T {
  return (typeof value === 'function' ? (value as (v: Vars, i: unknown) => T)(vars, item) : value) as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type ItemRun = { result: TaskResult; plan?: Plan };

/** Plan a module call; a ModuleFailure becomes a failed result. */
async function planModule(module: Module, args: unknown, ctx: ModuleContext): Promise<ItemRun> {
  try {
    const plan = await module.plan(ctx, args as never);
    return { result: { changed: plan.changed, failed: false, ...(plan.data ?? {}) }, plan };
  } catch (error) {
    return failure(error);
  }
}

/** Apply a plan unless in check mode or nothing changes; a ModuleFailure becomes a failed result. */
async function applyPlan(run: ItemRun, ctx: ModuleContext): Promise<ItemRun> {
  const { plan, result } = run;
  if (!plan?.changed || !plan.apply || ctx.check) return run;
  try {
    const applied = await plan.apply();
    if (applied?.data) Object.assign(result, applied.data);
    if (applied?.warnings) plan.warnings = [...(plan.warnings ?? []), ...applied.warnings];
    return run;
  } catch (error) {
    return failure(error);
  }
}

function failure(error: unknown): ItemRun {
  if (!(error instanceof ModuleFailure)) throw error;
  return { result: { changed: false, failed: true, msg: error.message, ...error.details } };
}

/** Plan a module call, then apply the plan unless in check mode; a ModuleFailure becomes a failed result. */
export async function invokeModule(module: Module, args: unknown, ctx: ModuleContext): Promise<ItemRun> {
  const run = await planModule(module, args, ctx);
  return run.plan ? applyPlan(run, ctx) : run;
}

/** One loop item ready to run: its variables, checked arguments and module context. */
interface PreparedItem {
  vars: Vars;
  args: unknown;
  ctx: ModuleContext;
  /** Where the item runs, for errors. */
  context: ErrorContext;
}

async function prepareItem(ctask: CompiledTask, env: TaskEnv, item: unknown): Promise<PreparedItem> {
  const task = ctask.task;
  const vars = item === undefined ? env.vars : { ...env.vars, item };
  const context = { host: env.host, play: env.playName, task: ctask.title, module: task.module.name };
  const args = step('computing arguments', context, () => structuredClone(resolve(task.args, vars, item)));
  const invalid = checkArgs(task.module, args, context);
  if (invalid) throw invalid;

  const conn = task.module.local ? undefined : await env.connect();
  const ctx: ModuleContext = {
    host: env.host,
    check: env.check && task.check_mode !== false,
    conn: conn as Connection,
    become: env.become,
    vars,
    run: (command, options) => (conn as Connection).exec(command, { ...options, become: env.become }),
  };
  return { vars, args, ctx, context };
}

/**
 * Run one module call (one loop item): plan (or take the plan made ahead), then apply unless in check mode;
 * retries until `until` holds.
 */
async function runItem(ctask: CompiledTask, prepared: PreparedItem, planned?: ItemRun): Promise<ItemRun> {
  const task = ctask.task;
  const { vars, args, ctx, context } = prepared;
  const { until, changed_when: changedWhen, failed_when: failedWhen } = task;
  const attempts = until ? (task.retries ?? 3) + 1 : 1;
  let run: ItemRun = { result: { changed: false, failed: true } };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const fresh = attempt === 1 && planned ? planned : await planModule(task.module, args, ctx);
    run = fresh.plan ? await applyPlan(fresh, ctx) : fresh;
    if (!until || step('evaluating until', context, () => until(run.result, vars))) break;
    if (attempt < attempts) await sleep((task.delay ?? 5) * 1000);
    else run.result = { ...run.result, failed: true, msg: run.result.msg ?? `condition not met after ${attempts} attempts` };
  }
  if (changedWhen) run.result.changed = step('evaluating changed_when', context, () => changedWhen(run.result, vars));
  if (failedWhen) run.result.failed = step('evaluating failed_when', context, () => failedWhen(run.result, vars));
  return run;
}

/**
 * The context of a plan made ahead of its turn: while it plans, the same command (eight lineinfile items reading
 * one file) runs once for the whole loop, as nothing is applied while such plans are still used; its apply, which
 * runs later, gets every command through as usual.
 */
function planningContext(ctx: ModuleContext, reads: Map<string, Promise<ExecResult>>): { ctx: ModuleContext; done: () => void } {
  let planning = true;
  const run: ModuleContext['run'] = (command, options) => {
    if (!planning) return ctx.run(command, options);
    const stdin = options?.stdin === undefined ? '' : Buffer.from(options.stdin).toString('base64');
    const key = JSON.stringify([command, stdin, options?.timeoutMs]);
    let read = reads.get(key);
    if (!read) reads.set(key, (read = ctx.run(command, options)));
    return read;
  };
  return { ctx: { ...ctx, run }, done: () => (planning = false) };
}

/** A promise that never rejects: its failure is rethrown where the plan is used, or dropped with a stale plan. */
type Settled = Promise<{ run: ItemRun } | { error: unknown }>;

/**
 * Run a loop's items in order. For modules whose plans are plain reads, every item is planned at once first (a
 * no-op loop then costs one round trip, not one per item); once an item changes the host, the plans made ahead
 * for the items after it are stale, and those items plan again as they come.
 */
async function runItems(ctask: CompiledTask, env: TaskEnv, items: unknown[]): Promise<ItemRun[]> {
  const ahead = items.length > 1 && ctask.task.module.concurrentPlans === true && !ctask.task.until;
  const prepared: Promise<PreparedItem>[] = items.map((item) => prepareItem(ctask, env, item));
  for (const p of prepared) p.catch(() => undefined);
  const sharedReads = new Map<string, Promise<ExecResult>>();
  const planned: Settled[] = ahead
    ? prepared.map((p) =>
        p
          .then((it) => {
            const early = planningContext(it.ctx, sharedReads);
            return planModule(ctask.task.module, it.args, early.ctx).finally(early.done);
          })
          .then(
            (run) => ({ run }),
            (error: unknown) => ({ error }),
          ),
      )
    : [];
  const runs: ItemRun[] = [];
  let stale = !ahead;
  for (const [i, p] of prepared.entries()) {
    const it = await p;
    let plan: ItemRun | undefined;
    if (!stale) {
      const settled = await (planned[i] as Settled);
      if ('error' in settled) throw settled.error;
      plan = settled.run;
    }
    const run = await runItem(ctask, it, plan);
    // A failed apply may have half-changed the host too; changed_when can hide a change, so ask the plan.
    if (!it.ctx.check && (run.plan?.changed || run.result.changed || run.result.failed)) stale = true;
    runs.push(run);
  }
  return runs;
}

/** Run a task on one host: conditions, loop, module, result keywords. Throws only for unreachable hosts. */
export async function executeTask(ctask: CompiledTask, env: TaskEnv): Promise<TaskOutcome> {
  const task = ctask.task;
  const context = { host: env.host, play: env.playName, task: ctask.title };
  try {
    if (!step('evaluating when', context, () => ctask.when.every((cond) => cond(env.vars)))) {
      return { result: { changed: false, failed: false, skipped: true }, status: 'skipped', diffs: [], facts: {}, warnings: [], ignored: false };
    }
    const items: unknown[] =
      task.loop === undefined ? [undefined] : step('computing loop', context, () => resolve<unknown[]>(task.loop, env.vars, undefined));
    const runs = await runItems(ctask, env, items);

    const results = runs.map((r) => r.result);
    const result: TaskResult =
      task.loop === undefined
        ? (results[0] as TaskResult)
        : { changed: results.some((r) => r.changed), failed: results.some((r) => r.failed), results, ...loopFailure(results) };
    const facts: Vars = Object.assign({}, ...runs.map((r) => r.plan?.facts ?? {}));
    if (task.register) facts[task.register] = result;
    const ignored = result.failed && Boolean(task.ignore_errors);
    const summaries = runs.flatMap((r) => (r.plan?.summary ? [r.plan.summary] : []));
    return {
      result,
      status: result.failed ? 'failed' : result.changed ? 'changed' : 'ok',
      summary: result.failed ? undefined : summaries.join('; ') || undefined,
      diffs: runs.flatMap((r) => (r.result.changed ? (r.plan?.diff ?? []) : [])),
      facts,
      warnings: runs.flatMap((r) => r.plan?.warnings ?? []),
      ignored,
      secrets: runs.flatMap((r) => r.plan?.secrets ?? []),
    };
  } catch (error) {
    if ((error as Error).name === 'UnreachableError') throw error;
    return exceptionOutcome(ctask, error, context);
  }
}

/** A looped task's failure says why its items failed, as a task without a loop does. */
function loopFailure(results: TaskResult[]): { msg?: string } {
  const reasons = [...new Set(results.filter((r) => r.failed).map((r) => String(r.msg ?? 'failed')))];
  return reasons.length ? { msg: reasons.join('; ') } : {};
}

/** A unified diff of one file change, the form --diff prints. */
export function unifiedDiff(diff: FileDiff): string {
  return createTwoFilesPatch(`${diff.path} (before)`, `${diff.path} (after)`, diff.before, diff.after, '', '', { context: 3 });
}
