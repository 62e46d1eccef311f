import { changed, dsl, type TaskItem, type TaskResult } from '../engine/dsl.ts';
import { systemd } from '../modules/systemd.ts';
import { waitFor } from '../modules/wait-for.ts';
import { NO_STAMP, pendingAmong, pendingFiles, pendingReadTask, stampTask } from './reloads.ts';

/** How one service is started and told about changed files; `R` names the registers its tasks write and read. */
export interface ServiceLaunch<V, R extends string> {
  /** systemd unit, also the name of its reload stamp. */
  unit: string;
  tags: string[];
  /** Files the service re-reads on reload (SIGHUP); one newer than the stamp is a reload owed. None: it is never reloaded. */
  reloadFiles?: (v: V) => string[];
  /** Files only a restart applies (env file, drop-in); one newer than the stamp is a restart owed by a run that ended before it. */
  restartFiles?: (v: V) => string[];
  /** Registers of files that only a restart applies (unit, env file); `unitChanged` ones also need a daemon-reload. */
  restartOn: R[];
  unitChanged?: R[];
  /** Registers of files a reload applies. */
  reloadOn?: R[];
  pending: R;
  launch: R;
  port: (v: V) => number;
  /** Something else in the run that only a restart gives the service (a group it just joined). */
  restartWhen?: (v: V) => boolean;
}

/**
 * Enable and start the service, restarting it only when a file read at start changed (in this run, or in one that
 * ended before the restart: the stamp); reload it when a file it re-reads changed likewise; then wait for its port.
 */
export function launchServiceTasks<V, R extends string>(s: ServiceLaunch<V, R>): TaskItem<V>[] {
  type Registered = V & Partial<Record<R, TaskResult>>;
  const { task } = dsl<Registered>();
  const reloadFiles = s.reloadFiles ?? (() => []);
  const reloadOn = s.reloadOn ?? [];
  const unitChanged = s.unitChanged ?? [];
  const reg = (v: Registered, r: R): TaskResult | undefined => (v as Partial<Record<R, TaskResult>>)[r];
  const restartFiles = s.restartFiles ?? (() => []);
  // Files newer than the stamp were written by a run that ended before the (re)load. Without a stamp (a service its
  // package started, or one deployed before stamps), the service may have read none of them.
  const owed = (v: Registered, files: string[]): boolean =>
    files.length > 0 && (pendingAmong(reg(v, s.pending), files) || pendingFiles(reg(v, s.pending)).includes(NO_STAMP));
  const restart = (v: Registered): boolean =>
    s.restartOn.some((r) => changed(reg(v, r))) || owed(v, restartFiles(v)) || (s.restartWhen?.(v) ?? false);
  const reload = (v: Registered): boolean => !changed(reg(v, s.launch)) && (reloadOn.some((r) => changed(reg(v, r))) || owed(v, reloadFiles(v)));
  const files = (v: Registered): string[] => [...reloadFiles(v), ...restartFiles(v)];
  const steps = [
    pendingReadTask<Registered>(`find ${s.unit} files not loaded yet`, s.unit, files, { tags: s.tags, register: s.pending }),
    task(
      `launch ${s.unit}`,
      systemd,
      (v) => ({
        name: s.unit,
        enabled: true,
        state: restart(v) ? ('restarted' as const) : ('started' as const),
        daemon_reload: unitChanged.some((r) => changed(reg(v, r))),
      }),
      { tags: s.tags, register: s.launch },
    ),
    task(`reload ${s.unit}`, systemd, { name: s.unit, state: 'reloaded' }, { tags: s.tags, when: reload }),
    stampTask<Registered>(`record that ${s.unit} loaded its files`, s.unit, { tags: s.tags, when: (v) => changed(reg(v, s.launch)) || reload(v) }),
    task(`wait for ${s.unit}`, waitFor, (v) => ({ host: '127.0.0.1', port: s.port(v), state: 'started' as const, timeout: 30 }), { tags: s.tags }),
  ];
  return steps as TaskItem<V>[];
}
