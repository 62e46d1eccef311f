/**
 * A host for module unit tests: a ModuleContext whose commands are answered from fixtures instead of a machine.
 *
 *   const host = fakeHost().on(/^getent group -- /, { stdout: 'dba:x:1001:\n' });
 *   const { result } = await runModule(group, { name: 'dba' }, host);
 *   expect(host.commands).toEqual(['getent group -- dba']);
 *
 * Every command is recorded with its stdin, become user and time limit, as the engine would send it. A command
 * no fixture matches fails the test (the module gets an exception, and the test fails when it ends even if that
 * exception was caught). Fixtures are tried in the order given; one with `times` is used up after that many answers,
 * so a read that is made again after apply can answer differently the second time.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { onTestFinished } from 'vitest';
import { checkArgs } from '../../engine/args.ts';
import type { Become, Connection, ExecOptions, ExecResult } from '../../engine/connection/types.ts';
import type { TaskResult } from '../../engine/dsl.ts';
import type { Vars } from '../../engine/inventory-types.ts';
import type { Module, ModuleContext, Plan } from '../../engine/module.ts';
import { invokeModule } from '../../engine/task-exec.ts';
import { shq } from '../../engine/shell-quote.ts';
import { readScript, SAFE_FN, STAT_FN, type Follow } from '../../modules/file-state.ts';
import { psqlCommand } from '../../modules/pg-client.ts';

/** What the fake host answers: exit code 0 and empty output unless given. */
export interface Reply {
  stdout?: string;
  stderr?: string;
  code?: number;
}

/** One command as the host received it. */
export interface Sent {
  command: string;
  /** stdin as UTF-8 text, when the module sent any. */
  stdin?: string;
  become?: Become;
  timeoutMs?: number;
}

/** Which commands a fixture answers: the exact command, a pattern, or a test of the command (and its stdin). */
export type Matcher = string | RegExp | ((sent: Sent) => boolean);

type Answer = Reply | ((sent: Sent) => Reply);

interface Fixture {
  matcher: Matcher;
  answer: Answer;
  left: number;
}

export interface FakeHostOptions {
  host?: string;
  /** The login user (root unless given). */
  user?: string;
  check?: boolean;
  become?: Become;
  vars?: Vars;
}

const matches = (matcher: Matcher, sent: Sent): boolean =>
  typeof matcher === 'string' ? matcher === sent.command : matcher instanceof RegExp ? matcher.test(sent.command) : matcher(sent);

const clip = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}...` : text);

export class FakeHost {
  /** Every command sent, in order. */
  readonly sent: Sent[] = [];
  /** Commands no fixture answered. */
  readonly unexpected: Sent[] = [];
  readonly ctx: ModuleContext;
  private readonly fixtures: Fixture[] = [];

  constructor(options: FakeHostOptions = {}) {
    const name = options.host ?? 'h';
    const conn: Connection = {
      host: name,
      user: options.user ?? 'root',
      exec: async (command, opts) => this.answer(command, opts),
      upload: async (_content, path) => {
        throw new Error(`fake host ${name}: unexpected upload to ${path}`);
      },
      close: async () => undefined,
    };
    // As the engine builds it (engine/task-exec.ts): run goes through the connection with the task's become.
    this.ctx = {
      host: name,
      check: options.check ?? false,
      conn,
      become: options.become,
      vars: options.vars ?? {},
      run: (command, opts) => conn.exec(command, { ...opts, become: options.become }),
    };
  }

  /** Answer commands that match with `answer` (every time, or `times` times). */
  on(matcher: Matcher, answer: Answer = {}, options: { times?: number } = {}): this {
    this.fixtures.push({ matcher, answer, left: options.times ?? Infinity });
    return this;
  }

  /** Like on, for one answer only. */
  once(matcher: Matcher, answer: Answer = {}): this {
    return this.on(matcher, answer, { times: 1 });
  }

  /** The commands sent, in order. */
  get commands(): string[] {
    return this.sent.map((s) => s.command);
  }

  /** Forget what was sent so far (fixtures stay): to look at apply's commands apart from the plan's reads. */
  clear(): void {
    this.sent.length = 0;
  }

  private async answer(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const sent: Sent = {
      command,
      ...(opts.stdin === undefined ? {} : { stdin: Buffer.from(opts.stdin).toString('utf8') }),
      ...(opts.become === undefined ? {} : { become: opts.become }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    };
    this.sent.push(sent);
    const fixture = this.fixtures.find((f) => f.left > 0 && matches(f.matcher, sent));
    if (!fixture) {
      this.unexpected.push(sent);
      throw new Error(
        `fake host ${this.ctx.host}: unexpected command:\n${clip(command)}${sent.stdin === undefined ? '' : `\nwith stdin:\n${clip(sent.stdin)}`}`,
      );
    }
    fixture.left--;
    const reply = typeof fixture.answer === 'function' ? fixture.answer(sent) : fixture.answer;
    return { stdout: reply.stdout ?? '', stderr: reply.stderr ?? '', code: reply.code ?? 0 };
  }
}

/** A fake host that also fails the running test at its end if any command went unanswered. */
export function fakeHost(options: FakeHostOptions = {}): FakeHost {
  const host = new FakeHost(options);
  onTestFinished(() => {
    if (host.unexpected.length)
      throw new Error(`fake host received unexpected commands:\n${host.unexpected.map((s) => clip(s.command)).join('\n---\n')}`);
  });
  return host;
}

/** Validate (and default) arguments as a task does, failing on invalid ones. */
export function checkedArgs<S extends TSchema>(module: Module<S>, args: Static<S>): Static<S> {
  const copy = structuredClone(args);
  const invalid = checkArgs(module as unknown as Module, copy, { task: 'test' });
  if (invalid) throw invalid;
  return copy;
}

/** The plan a module makes on the host for these arguments (validated and defaulted first); nothing is applied. */
export async function planOn<S extends TSchema>(module: Module<S>, args: Static<S>, host: FakeHost): Promise<Plan> {
  return module.plan(host.ctx, checkedArgs(module, args));
}

/**
 * Run a module as a task does: plan, then apply unless in check mode or unchanged. A ModuleFailure becomes a
 * failed result with its message in msg; any other exception (an unexpected command) is thrown.
 */
export async function runModule<S extends TSchema>(module: Module<S>, args: Static<S>, host: FakeHost): Promise<{ result: TaskResult; plan?: Plan }> {
  return invokeModule(module as unknown as Module, checkedArgs(module, args), host.ctx);
}

// ---------------------------------------------------------------- canned output of the file modules' reads

/** The command readFile (modules/file-state.ts) sends to read a path: whole sends the content, else its sha256. */
export const readFileCommand = (path: string, follow: Follow, whole = true): string =>
  `${STAT_FN}\n${SAFE_FN}\n${readScript(shq(path), follow, whole)}`;

export const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

/** STAT_FN's line for a path (modules/file-state.ts): kind|owner|group|mode|uid|gid|size|link target, then NUL. */
export function statLine(
  kind: 'file' | 'directory' | 'link' | 'other' | 'absent',
  attrs: { owner?: string; group?: string; mode?: string; uid?: number; gid?: number; size?: number; target?: string } = {},
): string {
  if (kind === 'absent') return 'absent\0';
  const {
    owner = 'root',
    group = 'root',
    mode = kind === 'directory' ? '755' : '644',
    uid = 0,
    gid = 0,
    size = kind === 'directory' ? 4096 : 0,
    target = '',
  } = attrs;
  return `${kind}|${owner}|${group}|${mode}|${uid}|${gid}|${size}|${target}\0`;
}

/**
 * What readScript prints (modules/file-state.ts): the untrusted symlink (if any), the path acted on, STAT_FN's line,
 * then a regular file's content as base64 (`whole`) or sha256sum's line.
 */
export function readOutput(path: string, stat: string, data = '', untrusted = ''): string {
  return `${untrusted}\0${path}\0${stat}${data}`;
}

/** readScript's output for a regular file holding `content` (read whole, as planEdit and planContent's callers read it). */
export function fileOutput(path: string, content: string, attrs: Parameters<typeof statLine>[1] = {}): string {
  return readOutput(path, statLine('file', { size: Buffer.byteLength(content), ...attrs }), b64(content));
}

/** readScript's output for a regular file read by hash only (planContent without a read before it). */
export function hashOutput(path: string, sha256: string, attrs: Parameters<typeof statLine>[1] = {}): string {
  return readOutput(path, statLine('file', attrs), `${sha256}  -\n`);
}

// ---------------------------------------------------------------- canned psql calls of the pg_* modules

/** A psql call as pg-client sends reads and statements (-q -At, SQL on stdin) to a database, whose stdin starts with `sql`. */
export const psql =
  (db: string, sql: string, port?: number): ((sent: Sent) => boolean) =>
  (sent) =>
    sent.command === psqlCommand({ db, port }, ['-q', '-At']) && (sent.stdin ?? '').startsWith(sql);

/** A read of a pg_* module: its state query, answered with JSON. */
export const psqlRead =
  (db = 'postgres'): Matcher =>
  (sent) =>
    psql(db, 'select ')(sent) || psql(db, 'with ')(sent);

/** What psql prints when the database it connects to does not exist. */
export const noDatabase = (db: string): Reply => ({
  code: 2,
  stderr: `psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "${db}" does not exist\n`,
});
