import type { Static, TSchema } from '@sinclair/typebox';
import type { Become, Connection, ExecOptions, ExecResult } from './connection/types.ts';
import type { Vars } from './inventory-types.ts';

/** The content of one file before and after a change; the output turns it into a unified diff. */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
}

/** What a module found and what it would do: Terraform's plan. Check mode stops here. */
export interface Plan {
  changed: boolean;
  /** One line saying what changes ("create /etc/motd", "would run: ..."). */
  summary?: string;
  diff?: FileDiff[];
  /** Performs the change; called only outside check mode and only when changed. */
  apply?: () => Promise<ApplyOutcome | void>;
  /** Values returned to `register` (stdout, rc, stat fields, ...). */
  data?: Record<string, unknown>;
  /** Host facts to set for later tasks (set_fact and fact readers). */
  facts?: Vars;
  warnings?: string[];
  /** Values the plan read or made that must never be shown (a generated password, a key it read). */
  secrets?: string[];
}

/** What applying a plan produced, merged into the task result. */
export interface ApplyOutcome {
  data?: Record<string, unknown>;
  warnings?: string[];
}

/** Everything a module may use: the host's connection (through become when the task asks) and the mode. */
export interface ModuleContext {
  host: string;
  check: boolean;
  /** Run a shell command on the target, as the task's become user when set. */
  run(command: string, options?: Omit<ExecOptions, 'become'>): Promise<ExecResult>;
  conn: Connection;
  become: Become | undefined;
  /** The host's variables as the task sees them, for modules that render them (template). */
  vars: Vars;
}

/** A module failure with the command output that explains it. */
export class ModuleFailure extends Error {
  constructor(
    message: string,
    readonly details: { rc?: number; stdout?: string; stderr?: string } = {},
  ) {
    super(message);
    this.name = 'ModuleFailure';
  }
}

/** A self-contained idempotent unit: typed arguments with a schema, and a plan computed from host state. */
export interface Module<S extends TSchema = TSchema> {
  name: string;
  args: S;
  /** Read state (never change it), compute the change, return it with the function that applies it. */
  plan(ctx: ModuleContext, args: Static<S>): Promise<Plan>;
  /** Runs on the controller without a connection (set_fact, assert, debug). */
  local?: boolean;
  /**
   * plan() is one quick read of host state, so the engine may plan a loop's items at once before applying them in
   * order; a plan made before an earlier item changed the host is thrown away and made again.
   */
  concurrentPlans?: boolean;
}

/** Declare a module; the identity function keeps the argument type tied to its schema. */
export function defineModule<S extends TSchema>(module: Module<S>): Module<S> {
  return module;
}

/** Fail a command result unless it exited 0, keeping its output as the failure's details. */
export function mustSucceed(result: ExecResult, what: string): ExecResult {
  if (result.code !== 0) {
    const reason = result.stderr.trim() || result.stdout.trim() || `exit code ${result.code}`;
    throw new ModuleFailure(`${what} failed: ${reason}`, { rc: result.code, stdout: result.stdout, stderr: result.stderr });
  }
  return result;
}
