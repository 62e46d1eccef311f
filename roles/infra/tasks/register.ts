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

/** A file a host writes on every infra host: its directory there (made by the infra role), its path and content. */
export interface InfraFile<V> {
  /** What the task names say is registered, such as 'the node exporters'. */
  what: string;
  dir: string;
  path: (v: V) => string;
  content: (v: V) => string;
  /** Group and mode of the file: target files are group infra's only, DNS records everyone's (dnsmasq reads them). */
  group: string;
  mode: string;
  tags: string[];
  when?: (v: V) => boolean;
}

/** What a host registers on every infra host: a file under /infra/targets/<job>/ and its content. */
export interface TargetRegistration<V> {
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
 * Write a file on each infra host (Pigsty loops over groups.infra with delegate_to). An infra host where its
 * directory is missing (infra.ts has not run there) gets one line instead: a registration never makes /infra
 * itself, which must stay the link to infra_data.
 */
export function registerOnInfraTasks<V extends RoleVars>(r: InfraFile<V>): TaskItem<V>[] {
  const { task } = dsl<V & Found>();
  const infra = (v: V): string[] => v.groups.infra ?? [];
  const when = (v: V, i: number): boolean => infra(v).length > i && (r.when ? r.when(v) : true);
  const steps = Array.from({ length: MAX_INFRA_NODES }, (_, i) => {
    const on = (v: V): string => infra(v)[i] as string;
    return [
      task(
        `find ${r.dir} on infra #${i + 1}`,
        stat,
        { path: r.dir, get_checksum: false },
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
        (v) => ({ dest: r.path(v), owner: 'root', group: r.group, mode: r.mode, content: r.content(v) }),
        {
          tags: r.tags,
          delegate_to: on,
          when: (v) => when(v, i) && dirFound(v, i),
        },
      ),
      task(
        `note ${r.what} not registered on infra #${i + 1}`,
        debug,
        (v) => ({ msg: `not registered on ${on(v)}: ${r.dir} missing (deploy infra there first)` }),
        {
          tags: r.tags,
          when: (v) => when(v, i) && !dirFound(v, i),
        },
      ),
    ];
  });
  return steps.flat() as TaskItem<V>[];
}

/** Write a target file under /infra/targets/<job>/ on each infra host, root:infra 0640 (VictoriaMetrics is in infra). */
export const registerTargetTasks = <V extends RoleVars>(r: TargetRegistration<V>): TaskItem<V>[] =>
  registerOnInfraTasks<V>({
    ...r,
    dir: `/infra/targets/${r.job}`,
    path: (v) => targetFile(r.job, r.name(v)),
    group: 'infra',
    mode: '0640',
  });

/** A file a host removes from every infra host; a removal playbook goes on past a failure (ignore_errors). */
export type InfraFileRemoval<V> = Pick<InfraFile<V>, 'what' | 'path' | 'tags' | 'when'> & { ignore_errors?: boolean };

/** Remove a file from each infra host (VictoriaMetrics drops a target file's targets within the file_sd check interval). */
export function deregisterOnInfraTasks<V extends RoleVars>(r: InfraFileRemoval<V>): TaskItem<V>[] {
  const { task } = dsl<V>();
  const infra = (v: V): string[] => v.groups.infra ?? [];
  return Array.from({ length: MAX_INFRA_NODES }, (_, i) =>
    task(`deregister ${r.what} from infra #${i + 1}`, file, (v) => ({ path: r.path(v), state: 'absent' as const }), {
      tags: r.tags,
      delegate_to: (v) => infra(v)[i] as string,
      when: (v) => infra(v).length > i && (r.when ? r.when(v) : true),
      ...(r.ignore_errors ? { ignore_errors: true } : {}),
    }),
  ) as TaskItem<V>[];
}

/** What a host removes from every infra host: its file under /infra/targets/<job>/. */
export type TargetRemoval<V> = Omit<TargetRegistration<V>, 'content'> & { ignore_errors?: boolean };

/** Remove a target file from each infra host. */
export const deregisterTargetTasks = <V extends RoleVars>(r: TargetRemoval<V>): TaskItem<V>[] =>
  deregisterOnInfraTasks<V>({ ...r, path: (v) => targetFile(r.job, r.name(v)) });

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
