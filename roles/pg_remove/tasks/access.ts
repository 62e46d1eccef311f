import { changed, dsl, type TaskItem } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { file } from '../../../modules/file.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { HAPROXY_CHECK, HAPROXY_CONF_DIR, HAPROXY_RELOAD } from '../../haproxy/render.ts';
import { localProvider, MAX_SERVICE_PROVIDERS, otherClusters, providers, staleServiceFiles } from '../../pgsql/service-files.ts';
import { VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT } from '../../pgsql/vip-manager.ts';
import { cluster, isPrimary, lenient, type RemoveVars } from '../removal.ts';

const { task, include } = dsl<RemoveVars>();

/** This cluster's service files in the listing (other clusters sharing the name prefix are left alone). */
const serviceFilesOf = (v: RemoveVars): string[] =>
  staleServiceFiles(
    String(v.pg_rm_service_present?.stdout ?? '')
      .split('\n')
      .filter(Boolean),
    cluster(v),
    [],
    otherClusters(v),
  );

function serviceRemoval(suffix: string, when: (v: RemoveVars) => boolean, on?: (v: RemoveVars) => string): TaskItem<RemoveVars>[] {
  const where = on ? { delegate_to: on } : {};
  const removed = (v: RemoveVars) => changed(v.pg_rm_service_removed);
  return [
    task(
      `list haproxy service files${suffix}`,
      shell,
      { cmd: `ls -1 ${HAPROXY_CONF_DIR} 2>/dev/null || true` },
      {
        when,
        register: 'pg_rm_service_present',
        check_mode: false,
        changed_when: () => false,
        ...where,
        ...lenient,
      },
    ),
    task(
      `remove the cluster's haproxy services${suffix}`,
      file,
      (_v, name: string) => ({ path: `${HAPROXY_CONF_DIR}/${name}`, state: 'absent' as const }),
      {
        when: (v) => when(v) && serviceFilesOf(v).length > 0,
        loop: serviceFilesOf,
        register: 'pg_rm_service_removed',
        ...where,
        ...lenient,
      },
    ),
    task(
      `check the haproxy configuration${suffix}`,
      command,
      { argv: HAPROXY_CHECK },
      {
        when: (v) => when(v) && removed(v),
        check_mode: false,
        changed_when: () => false,
        ...where,
        ...lenient,
      },
    ),
    task(`reload haproxy${suffix}`, shell, { cmd: HAPROXY_RELOAD }, { when: (v) => when(v) && removed(v), ...where, ...lenient }),
  ];
}

const services: TaskItem<RemoveVars>[] = [
  ...serviceRemoval('', localProvider),
  // A dedicated haproxy group loses the cluster's services when its primary goes.
  ...Array.from({ length: MAX_SERVICE_PROVIDERS }, (_, i) =>
    serviceRemoval(
      ` on provider #${i + 1}`,
      (v) => !localProvider(v) && isPrimary(v) && providers(v).length > i,
      (v) => providers(v)[i] as string,
    ),
  ).flat(),
];

/** [pg_access]: the cluster out of its access paths: vip-manager, haproxy services, pgbouncer. */
export const accessTasks = [
  include(
    'vip-manager',
    [
      task('stop and disable vip-manager', systemd, { name: 'vip-manager', state: 'stopped', enabled: false }, lenient),
      task('remove vip-manager config and unit', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
        loop: [VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT],
        ...lenient,
      }),
    ],
    { tags: ['pg_access', 'vip'] },
  ),
  include('haproxy services', services, { tags: ['pg_access', 'pg_service', 'haproxy'] }),
  include(
    'pgbouncer',
    [
      task('stop and disable pgbouncer', systemd, { name: 'pgbouncer', state: 'stopped', enabled: false }, lenient),
      task('remove pgbouncer config and unit', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
        loop: ['/etc/pgbouncer', '/etc/systemd/system/pgbouncer.service'],
        ...lenient,
      }),
    ],
    { tags: ['pg_access', 'pgbouncer'] },
  ),
];
