/** What happened to one host on one task. */
export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface TaskResultEvent {
  type: 'task_result';
  play: string;
  task: string;
  host: string;
  status: HostStatus;
  duration_ms: number;
  /** Check mode: the change was planned, not made. */
  check: boolean;
  handler?: boolean;
  item?: unknown;
  delegate_to?: string;
  summary?: string;
  msg?: string;
  /** Unified diffs, present with --diff. */
  diff?: string[];
  warnings?: string[];
  ignored?: boolean;
  /** The stack trace of an exception in role or module code that failed the task; with -v only. */
  exception?: string;
}

export interface HostCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  ignored: number;
}

export type RunEvent =
  | { type: 'run_start'; playbook: string; check: boolean; diff: boolean; hosts: string[] }
  | { type: 'play_start'; play: string; hosts: string[] }
  | { type: 'task_start'; play: string; task: string; hosts: string[]; handler?: boolean }
  | TaskResultEvent
  | { type: 'warning'; msg: string; host?: string }
  | { type: 'play_end'; play: string }
  | {
      type: 'recap';
      duration_ms: number;
      hosts: Record<string, HostCounts>;
      slowest: { task: string; host: string; duration_ms: number }[];
      exit_code: number;
      /**
       * Present when a signal stopped the run: tasks running then finished (or were reported failed when they did
       * not within the grace period), no task or handler started after it, and tasks never started are not counted.
       */
      interrupted?: true;
      signal?: string;
    };

/** Where events go: a renderer, a JSON stream, a test's array. */
export interface EventSink {
  emit(event: RunEvent): void;
  /** Flush and release the terminal; called once at the end of a run. */
  close(): Promise<void>;
  /** Give the terminal back at once (the cursor shown), for an exit that cannot wait for close. */
  abort?(): void;
}
