import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Static, TSchema } from '@sinclair/typebox';
import { checkArgs } from '../../engine/args.ts';
import { KnownHosts } from '../../engine/connection/known-hosts.ts';
import { connectSsh } from '../../engine/connection/ssh.ts';
import type { Become, Connection } from '../../engine/connection/types.ts';
import type { TaskResult } from '../../engine/dsl.ts';
import type { EngineError } from '../../engine/errors.ts';
import type { Vars } from '../../engine/inventory-types.ts';
import type { Module, ModuleContext, Plan } from '../../engine/module.ts';
import { invokeModule } from '../../engine/task-exec.ts';

/** One SSH connection to a sandbox node as root, as the runner opens it. */
export function connectNode(ip: string): Promise<Connection> {
  return connectSsh(
    { host: ip, address: ip, port: 22, user: 'root', kind: 'ssh' },
    { knownHosts: KnownHosts.load(join(homedir(), '.ssh', 'known_hosts')), trustNewHosts: false, connectTimeoutMs: 10_000 },
  );
}

export interface ModuleRun {
  result: TaskResult;
  plan?: Plan;
}

/** Validate arguments and run a module on a node exactly as a task would (plan, then apply unless check). */
export async function runModule<S extends TSchema>(
  conn: Connection,
  module: Module<S>,
  args: Static<S>,
  options: { check?: boolean; become?: Become; vars?: Vars } = {},
): Promise<ModuleRun> {
  const copy = structuredClone(args);
  const invalid = checkArgs(module as unknown as Module, copy, { task: 'test' });
  if (invalid) throw invalid;
  const ctx: ModuleContext = {
    host: conn.host,
    check: options.check ?? false,
    conn,
    become: options.become,
    vars: options.vars ?? {},
    run: (command, opts) => conn.exec(command, { ...opts, become: options.become }),
  };
  return invokeModule(module as unknown as Module, copy, ctx);
}

/** The argument error a module call gives, without touching any host. */
export function argumentError<S extends TSchema>(module: Module<S>, args: unknown): EngineError | undefined {
  return checkArgs(module as unknown as Module, structuredClone(args), { task: 'test' });
}

/** Run a shell command on the node and return its stdout, failing the test when it fails. */
export async function sh(conn: Connection, command: string): Promise<string> {
  const r = await conn.exec(command);
  if (r.code !== 0) throw new Error(`${command} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A connection that counts the commands sent through it, to assert how many reads a task needs. */
export function countingConnection(conn: () => Connection): { connection: Connection; commands: () => number; reset: () => void } {
  let commands = 0;
  const connection: Connection = {
    get host() {
      return conn().host;
    },
    get user() {
      return conn().user;
    },
    exec: (command, options) => {
      commands++;
      return conn().exec(command, options);
    },
    upload: (content, path, mode) => conn().upload(content, path, mode),
    close: () => conn().close(),
  };
  return { connection, commands: () => commands, reset: () => (commands = 0) };
}
