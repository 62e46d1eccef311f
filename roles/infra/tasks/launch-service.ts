import { changed, dsl, type TaskItem } from '../../../engine/dsl.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { pendingReadTask, reloadPending, stampTask } from '../../reloads.ts';
import type { InfraRegisters, InfraVars } from '../infra-vars.ts';

type Register = keyof InfraRegisters;

/** How one infra service is started and told about changed files. */
export interface ServiceLaunch {
  /** systemd unit, also the name of its reload stamp. */
  unit: string;
  tags: string[];
  /** Files the service re-reads on reload (SIGHUP); one newer than the stamp is a reload owed. */
  reloadFiles: (v: InfraVars) => string[];
  /** Registers of files that only a restart applies (unit, env file); `unitChanged` ones also need a daemon-reload. */
  restartOn: Register[];
  unitChanged: Register[];
  /** Registers of files a reload applies. */
  reloadOn: Register[];
  pending: Register;
  launch: Register;
  port: (v: InfraVars) => number;
  /** Something else in the run that only a restart gives the service (a group it just joined). */
  restartWhen?: (v: InfraVars) => boolean;
}

/**
 * Enable and start the service, restarting it only when a file read at start changed; reload it when a file it
 * re-reads changed in this run or in one that ended before its reload (the stamp); then wait for its port.
 */
export function launchServiceTasks(s: ServiceLaunch): TaskItem<InfraVars>[] {
  const { task } = dsl<InfraVars>();
  const restart = (v: InfraVars): boolean => s.restartOn.some((r) => changed(v[r])) || (s.restartWhen?.(v) ?? false);
  const reload = (v: InfraVars): boolean => !changed(v[s.launch]) && (s.reloadOn.some((r) => changed(v[r])) || reloadPending(v[s.pending]));
  return [
    pendingReadTask<InfraVars>(`find ${s.unit} files not loaded yet`, s.unit, s.reloadFiles, { tags: s.tags, register: s.pending }),
    task(
      `launch ${s.unit}`,
      systemd,
      (v) => ({
        name: s.unit,
        enabled: true,
        state: restart(v) ? ('restarted' as const) : ('started' as const),
        daemon_reload: s.unitChanged.some((r) => changed(v[r])),
      }),
      { tags: s.tags, register: s.launch },
    ),
    task(`reload ${s.unit}`, systemd, { name: s.unit, state: 'reloaded' }, { tags: s.tags, when: reload }),
    stampTask<InfraVars>(`record that ${s.unit} loaded its files`, s.unit, { tags: s.tags, when: (v) => changed(v[s.launch]) || reload(v) }),
    task(`wait for ${s.unit}`, waitFor, (v) => ({ host: '127.0.0.1', port: s.port(v), state: 'started' as const, timeout: 30 }), { tags: s.tags }),
  ];
}
