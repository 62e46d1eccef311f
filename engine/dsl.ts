import type { Static, TSchema } from '@sinclair/typebox';
import type { SemanticCheck } from './validate.ts';
import type { Vars } from './inventory-types.ts';
import type { Module } from './module.ts';

/** What a task sees of its own outcome, as `register` stores it and changed_when/failed_when read it. */
export interface TaskResult {
  changed: boolean;
  failed: boolean;
  skipped?: boolean;
  msg?: string;
  rc?: number;
  stdout?: string;
  stderr?: string;
  /** Per-item results of a looped task. */
  results?: TaskResult[];
  [key: string]: unknown;
}

/** Whether a registered task changed the host (Ansible's `result is changed`); false when it did not run. */
export const changed = (result: Pick<TaskResult, 'changed'> | undefined): boolean => result?.changed === true;

/** A value given directly or computed from the host's variables (and the loop item). */
export type Computed<V, T, I = unknown> = T | ((v: V, item: I) => T);

/** Ansible's task keywords, typed over the variables V a role may read. */
export interface TaskOptions<V, I = unknown> {
  tags?: string[];
  when?: (v: V) => boolean;
  loop?: Computed<V, I[]>;
  register?: string;
  notify?: string[];
  run_once?: boolean;
  delegate_to?: Computed<V, string>;
  retries?: number;
  /** Seconds between retries. */
  delay?: number;
  until?: (result: TaskResult, v: V) => boolean;
  ignore_errors?: boolean;
  changed_when?: (result: TaskResult, v: V) => boolean;
  failed_when?: (result: TaskResult, v: V) => boolean;
  become?: boolean;
  become_user?: Computed<V, string>;
  no_log?: boolean;
  /** false: run even in check mode, for commands that only read (Ansible's check_mode: false). */
  check_mode?: false;
  /**
   * A guard (a safeguard check before something destructive): selected whatever -t, --skip-tags and
   * --start-at-task say, so no selection of tasks can run the play without it. Its `when` still applies.
   */
  guard?: true;
}

export interface Task<V = Vars> extends TaskOptions<V> {
  kind: 'task';
  name: string;
  module: Module;
  args: Computed<V, unknown, never>;
}

/** A static include of a task list: its tags and condition apply to every task in it. */
export interface Include<V = Vars> {
  kind: 'include';
  name: string;
  tasks: TaskItem<V>[];
  tags?: string[];
  when?: (v: V) => boolean;
}

/** Run the handlers notified so far, here instead of at the end of the play. */
export interface FlushHandlers {
  kind: 'flush_handlers';
}

export type TaskItem<V = Vars> = Task<V> | Include<V> | FlushHandlers;

export interface Role<V = Vars> {
  name: string;
  /** Lowest precedence: anything in the inventory overrides these. */
  defaults?: Partial<V> & Vars;
  /** Higher than inventory and play vars, as Ansible's role vars. */
  vars?: Vars;
  tasks: TaskItem<V>[];
  handlers?: Task<V>[];
}

/** A role as a play uses it, with the tags and condition the play puts on it. */
export interface RoleUse {
  role: Role<never>;
  tags?: string[];
  when?: (v: never) => boolean;
}

export interface Play {
  name: string;
  hosts: string;
  roles?: (Role<never> | RoleUse)[];
  tasks?: TaskItem<never>[];
  tags?: string[];
  vars?: Vars;
  /** Batch sizes for rolling changes: a count, a percentage ('30%'), or a list of them. */
  serial?: number | string | (number | string)[];
  strategy?: 'linear' | 'free';
  any_errors_fatal?: boolean;
  max_fail_percentage?: number;
  become?: boolean;
  become_user?: string;
}

export interface Playbook {
  name: string;
  description: string;
  plays: Play[];
  /** Schema of the inventory variables the roles read, checked before any host is touched. */
  schema?: TSchema;
  checks?: SemanticCheck[];
  /**
   * Destructive playbooks: refused unless -l names the target (neither missing nor a term selecting every
   * host, such as `all` or `*`), checked before anything connects.
   */
  requiresLimit?: boolean;
  /**
   * A run's switches that only -e may set (pgsql-db's `dbforce`): the inventory setting one is refused before any
   * host is touched, so no inventory keeps a switch on for every later run.
   */
  commandLineVars?: string[];
}

/** Task builders bound to the variable type V of a role, so reading an unknown variable is a compile error. */
export function dsl<V>() {
  return {
    task<S extends TSchema, I = never>(
      name: string,
      module: Module<S>,
      args: Static<S> | ((v: V, item: I) => Static<S>),
      options: TaskOptions<V, I> = {},
    ): Task<V> {
      return { kind: 'task', name, module: module as unknown as Module, args: args as Computed<V, unknown, never>, ...(options as TaskOptions<V>) };
    },
    include(name: string, tasks: TaskItem<V>[], options: { tags?: string[]; when?: (v: V) => boolean } = {}): Include<V> {
      return { kind: 'include', name, tasks, ...options };
    },
    flushHandlers(): FlushHandlers {
      return { kind: 'flush_handlers' };
    },
    role(definition: Role<V>): Role<never> {
      return definition as unknown as Role<never>;
    },
  };
}
