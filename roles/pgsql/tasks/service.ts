import { changed, dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { shell } from '../../../modules/shell.ts';
import { HAPROXY_CHECK, HAPROXY_CONF_DIR, HAPROXY_LOADED, HAPROXY_RELOAD, settleScript } from '../../haproxy/render.ts';
import { pendingReadTask, reloadPending } from '../../reloads.ts';
import type { RoleVars } from '../../vars.ts';
import { required } from '../required.ts';
import { localProvider, MAX_SERVICE_PROVIDERS, otherClusters, providers, serviceFiles, staleServiceFiles } from '../service-files.ts';

/** Results the service steps register and read back (undefined when the step did not run, e.g. filtered by tags). */
type ServiceStepVars = RoleVars & {
  pg_service_files?: TaskResult;
  pg_service_present?: TaskResult;
  pg_service_removed?: TaskResult;
  pg_service_reloaded?: TaskResult;
  pg_service_pending?: TaskResult;
};

const { task } = dsl<ServiceStepVars>();

/** Files of this cluster the directory listing shows that no service wants any more. */
function staleFiles(v: ServiceStepVars): string[] {
  const listing = String(v.pg_service_present?.stdout ?? '')
    .split('\n')
    .filter(Boolean);
  return staleServiceFiles(
    listing,
    required(v, 'pg_cluster'),
    serviceFiles(v).map((f) => f.name),
    otherClusters(v),
  );
}

/** Whether haproxy has service files it has not loaded: changed now, or by a run that ended before its reload. */
const servicesChanged = (v: ServiceStepVars): boolean =>
  changed(v.pg_service_files) || changed(v.pg_service_removed) || reloadPending(v.pg_service_pending);

/**
 * The service steps on one haproxy host: ensure conf.d, write the files, drop stale ones, check, reload.
 * `on` delegates them (a provider host), `when` gates them.
 */
function serviceSteps(suffix: string, when: (v: ServiceStepVars) => boolean, on?: (v: ServiceStepVars) => string): TaskItem<ServiceStepVars>[] {
  const where = on ? { delegate_to: on } : {};
  return [
    task(
      `create the haproxy service directory${suffix}`,
      file,
      { path: HAPROXY_CONF_DIR, state: 'directory' },
      { tags: ['pg_service_config'], when, ...where },
    ),
    task(
      `write haproxy service files${suffix}`,
      copy,
      (_v, item: { name: string; content: string }) => ({
        dest: `${HAPROXY_CONF_DIR}/${item.name}.cfg`,
        content: item.content,
        owner: 'root',
        group: 'root',
        mode: '0644',
      }),
      { tags: ['pg_service_config'], when, loop: serviceFiles, register: 'pg_service_files', ...where },
    ),
    task(
      `list haproxy service files${suffix}`,
      command,
      { argv: ['ls', '-1', HAPROXY_CONF_DIR] },
      {
        tags: ['pg_service_config'],
        when,
        register: 'pg_service_present',
        check_mode: false,
        changed_when: () => false,
        ...where,
      },
    ),
    task(
      `remove services the cluster no longer has${suffix}`,
      file,
      (_v, name: string) => ({ path: `${HAPROXY_CONF_DIR}/${name}`, state: 'absent' as const }),
      {
        tags: ['pg_service_config'],
        when: (v) => when(v) && staleFiles(v).length > 0,
        loop: staleFiles,
        register: 'pg_service_removed',
        ...where,
      },
    ),
    pendingReadTask<ServiceStepVars>(`find haproxy files not loaded yet${suffix}`, 'haproxy', () => HAPROXY_LOADED, {
      tags: ['pg_service_config', 'pg_service_reload'],
      when,
      register: 'pg_service_pending',
      ...where,
    }),
    task(
      `check the haproxy configuration${suffix}`,
      command,
      { argv: HAPROXY_CHECK },
      {
        tags: ['pg_service_reload'],
        when: (v) => when(v) && v.pg_reload && servicesChanged(v),
        check_mode: false,
        changed_when: () => false,
        ...where,
      },
    ),
    task(
      `reload haproxy${suffix}`,
      shell,
      { cmd: HAPROXY_RELOAD },
      {
        tags: ['pg_service_reload'],
        when: (v) => when(v) && v.pg_reload && servicesChanged(v),
        register: 'pg_service_reloaded',
        ...where,
      },
    ),
    // A deploy that ends while haproxy still counts replicas as UP in the primary service hands out read-only connections.
    task(`wait for the service health checks to settle${suffix}`, shell, (v) => ({ cmd: settleScript(`${v.pg_cluster}-`, 60) }), {
      tags: ['pg_service_reload'],
      when: (v) => when(v) && changed(v.pg_service_reloaded),
      changed_when: () => false,
      ...where,
    }),
  ];
}

export const serviceTasks: TaskItem<ServiceStepVars>[] = [
  ...serviceSteps('', localProvider),
  task(
    'refuse a dedicated haproxy group too large',
    debug,
    (v) => ({ msg: `pg_service_provider ${v.pg_service_provider} has ${providers(v).length} hosts` }),
    {
      tags: ['pg_service_config'],
      when: (v) => !localProvider(v) && v.pg_role === 'primary',
      failed_when: (_r, v) => providers(v).length > MAX_SERVICE_PROVIDERS,
    },
  ),
  // Delegation happens once per task (not per loop item), so each provider host gets its own copy of the steps.
  ...Array.from({ length: MAX_SERVICE_PROVIDERS }, (_, i) =>
    serviceSteps(
      ` on provider #${i + 1}`,
      (v) => !localProvider(v) && v.pg_role === 'primary' && providers(v).length > i,
      (v) => providers(v)[i] as string,
    ),
  ).flat(),
];
