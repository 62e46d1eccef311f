import { dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { stat } from '../../../modules/stat.ts';
import type { RoleVars } from '../../vars.ts';
import type { InfraVars } from '../infra-vars.ts';
import { infraTargets, targetFile, type TargetJob } from '../targets.ts';

/** Infra groups larger than this are refused by a check: a task is delegated to one host, so each infra host gets its own copy of the steps. */
export const MAX_INFRA_NODES = 4;

/** What a host registers on every infra host: a file under /infra/targets/<job>/ and its content. */
export interface TargetRegistration<V> {
  /** What the task names say is registered, such as 'node'. */
  what: string;
  job: TargetJob;
  name: (v: V) => string;
  content: (v: V) => string;
  tags: string[];
  when?: (v: V) => boolean;
}

type Found = Partial<Record<`infra_target_dir_${number}`, TaskResult>>;

const dirFound = (v: Found, i: number): boolean => (v[`infra_target_dir_${i}`]?.stat as { isdir?: boolean } | undefined)?.isdir === true;

/**
 * Write a target file on each infra host (Pigsty loops over groups.infra with delegate_to). An infra host where
 * the job's directory is missing (infra.ts has not run there) gets one line instead: a registration never makes
 * /infra itself, which must stay the link to infra_data.
 */
export function registerTargetTasks<V extends RoleVars>(r: TargetRegistration<V>): TaskItem<V>[] {
  const { task } = dsl<V & Found>();
  const infra = (v: V): string[] => v.groups.infra ?? [];
  const when = (v: V, i: number): boolean => infra(v).length > i && (r.when ? r.when(v) : true);
  const dir = `/infra/targets/${r.job}`;
  const steps = Array.from({ length: MAX_INFRA_NODES }, (_, i) => {
    const on = (v: V): string => infra(v)[i] as string;
    return [
      task(
        `find the ${r.job} targets directory on infra #${i + 1}`,
        stat,
        { path: dir, get_checksum: false },
        {
          tags: r.tags,
          delegate_to: on,
          when: (v) => when(v, i),
          check_mode: false,
          register: `infra_target_dir_${i}`,
        },
      ),
      task(
        `register ${r.what} on infra #${i + 1}`,
        copy,
        (v) => ({ dest: targetFile(r.job, r.name(v)), owner: 'root', group: 'infra', mode: '0640', content: r.content(v) }),
        {
          tags: r.tags,
          delegate_to: on,
          when: (v) => when(v, i) && dirFound(v, i),
        },
      ),
      task(
        `note ${r.what} not registered on infra #${i + 1}`,
        debug,
        (v) => ({ msg: `not registered on ${on(v)}: ${dir} missing (deploy infra there first)` }),
        {
          tags: r.tags,
          when: (v) => when(v, i) && !dirFound(v, i),
        },
      ),
    ];
  });
  return steps.flat() as TaskItem<V>[];
}

/** What a host removes from every infra host: its file under /infra/targets/<job>/. */
export type TargetRemoval<V> = Omit<TargetRegistration<V>, 'content'>;

/** Remove a target file from each infra host (VictoriaMetrics drops its targets within the file_sd check interval). */
export function deregisterTargetTasks<V extends RoleVars>(r: TargetRemoval<V>): TaskItem<V>[] {
  const { task } = dsl<V>();
  const infra = (v: V): string[] => v.groups.infra ?? [];
  return Array.from({ length: MAX_INFRA_NODES }, (_, i) =>
    task(`deregister ${r.what} from infra #${i + 1}`, file, (v) => ({ path: targetFile(r.job, r.name(v)), state: 'absent' as const }), {
      tags: r.tags,
      delegate_to: (v) => infra(v)[i] as string,
      when: (v) => infra(v).length > i && (r.when ? r.when(v) : true),
    }),
  ) as TaskItem<V>[];
}

/** [infra_register]: each infra host's own components, on every infra host. */
export const registerTasks = registerTargetTasks<InfraVars>({
  what: 'the infra components',
  job: 'infra',
  name: (v) => `infra-${v.infra_seq}`,
  content: (v) =>
    infraTargets({
      ip: v.inventory_hostname,
      infra_seq: v.infra_seq as number,
      ...(v.vmetrics_enabled ? { vmetrics: v.vmetrics_port } : {}),
      ...(v.vmetrics_enabled && v.vmalert_enabled ? { vmalert: v.vmalert_port } : {}),
      ...(v.alertmanager_enabled ? { alertmanager: v.alertmanager_port } : {}),
      ...(v.blackbox_enabled ? { blackbox: v.blackbox_port } : {}),
    }),
  tags: ['infra_register', 'register', 'add_metrics'],
});
