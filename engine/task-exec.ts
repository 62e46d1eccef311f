import { createTwoFilesPatch } from 'diff';
import { checkArgs } from './args.ts';
import type { CompiledTask } from './compile.ts';
import type { Become, Connection } from './connection/types.ts';
import type { TaskResult } from './dsl.ts';
import { EngineError } from './errors.ts';
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

/** Plan a module call, then apply the plan unless in check mode; a ModuleFailure becomes a failed result. */
export async function invokeModule(module: Module, args: unknown, ctx: ModuleContext): Promise<{ result: TaskResult; plan?: Plan }> {
  try {
    const plan = await module.plan(ctx, args as never);
    const result: TaskResult = { changed: plan.changed, failed: false, ...(plan.data ?? {}) };
    if (plan.changed && plan.apply && !ctx.check) {
      const applied = await plan.apply();
      if (applied?.data) Object.assign(result, applied.data);
      if (applied?.warnings) plan.warnings = [...(plan.warnings ?? []), ...applied.warnings];
    }
    return { result, plan };
  } catch (error) {
    if (!(error instanceof ModuleFailure)) throw error;
    return { result: { changed: false, failed: true, msg: error.message, ...error.details } };
  }
}

/** Run one module call (one loop item): plan, then apply unless in check mode; retries until `until` holds. */
async function runItem(ctask: CompiledTask, env: TaskEnv, item: unknown): Promise<{ result: TaskResult; plan?: Plan }> {
  const task = ctask.task;
  const vars = item === undefined ? env.vars : { ...env.vars, item };
  const context = { host: env.host, play: env.playName, task: ctask.title, module: task.module.name };
  let args: unknown;
  try {
    args = structuredClone(resolve(task.args, vars, item));
  } catch (error) {
    throw new EngineError(`computing arguments failed: ${(error as Error).message}`, context);
  }
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
  const attempts = task.until ? (task.retries ?? 3) + 1 : 1;
  let result: TaskResult = { changed: false, failed: true };
  let plan: Plan | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    ({ result, plan } = await invokeModule(task.module, args, ctx));
    if (!task.until || task.until(result, vars)) break;
    if (attempt < attempts) await sleep((task.delay ?? 5) * 1000);
    else result = { ...result, failed: true, msg: result.msg ?? `condition not met after ${attempts} attempts` };
  }
  if (task.changed_when) result.changed = task.changed_when(result, vars);
  if (task.failed_when) result.failed = task.failed_when(result, vars);
  return { result, plan };
}

/** Run a task on one host: conditions, loop, module, result keywords. Throws only for unreachable hosts. */
export async function executeTask(ctask: CompiledTask, env: TaskEnv): Promise<TaskOutcome> {
  const task = ctask.task;
  const failedOutcome = (msg: string): TaskOutcome => ({
    result: { changed: false, failed: true, msg },
    status: 'failed',
    diffs: [],
    facts: {},
    warnings: [],
    ignored: Boolean(task.ignore_errors),
  });
  try {
    if (!ctask.when.every((cond) => cond(env.vars))) {
      return { result: { changed: false, failed: false, skipped: true }, status: 'skipped', diffs: [], facts: {}, warnings: [], ignored: false };
    }
    const items: unknown[] = task.loop === undefined ? [undefined] : resolve<unknown[]>(task.loop, env.vars, undefined);
    const runs: { result: TaskResult; plan?: Plan }[] = [];
    for (const item of items) runs.push(await runItem(ctask, env, item));

    const results = runs.map((r) => r.result);
    const result: TaskResult =
      task.loop === undefined
        ? (results[0] as TaskResult)
        : { changed: results.some((r) => r.changed), failed: results.some((r) => r.failed), results };
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
    };
  } catch (error) {
    if (error instanceof EngineError) return failedOutcome(error.describe());
    if ((error as Error).name === 'UnreachableError') throw error;
    return failedOutcome(`${(error as Error).message}`);
  }
}

/** A unified diff of one file change, the form --diff prints. */
export function unifiedDiff(diff: FileDiff): string {
  return createTwoFilesPatch(`${diff.path} (before)`, `${diff.path} (after)`, diff.before, diff.after, '', '', { context: 3 });
}
