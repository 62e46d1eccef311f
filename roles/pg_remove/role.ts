import { shq } from '../../engine/shell-quote.ts';
import { changed, dsl, type TaskItem, type TaskResult } from '../../engine/dsl.ts';
import { command } from '../../modules/command.ts';
import { debug } from '../../modules/debug.ts';
import { file } from '../../modules/file.ts';
import { pkg } from '../../modules/package.ts';
import { shell } from '../../modules/shell.ts';
import { systemd } from '../../modules/systemd.ts';
import { flag } from '../flag.ts';
import { HAPROXY_CHECK, HAPROXY_CONF_DIR, HAPROXY_RELOAD } from '../haproxy/render.ts';
import { PGBACKREST_CONF, PGBACKREST_INITIAL_MARKER, localRepoPath } from '../pgsql/pgbackrest.ts';
import { localProvider, MAX_SERVICE_PROVIDERS, otherClusters, providers, staleServiceFiles } from '../pgsql/service-files.ts';
import { VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT } from '../pgsql/vip-manager.ts';
import type { RoleVars } from '../vars.ts';

type RemoveVars = RoleVars & { pg_rm_service_present?: TaskResult; pg_rm_service_removed?: TaskResult };
const { task, include, role } = dsl<RemoveVars>();

const dbsu = (v: RoleVars): string => v.pg_dbsu ?? 'postgres';
const cluster = (v: RoleVars): string => v.pg_cluster ?? '';
const binDir = (v: RoleVars): string => v.pg_bin_dir ?? '/usr/pgsql/bin';
const isPrimary = (v: RoleVars): boolean => v.pg_role === 'primary';

/** Every removal step goes on past a failure (Pigsty runs pgsql-rm with ignore_errors), except the safeguard. */
const lenient = { ignore_errors: true } as const;

//------------------------------------------------------------------ services

/** This cluster's service files in the listing (other clusters sharing the name prefix are left alone). */
const serviceFilesOf = (v: RemoveVars): string[] =>
  staleServiceFiles(String(v.pg_rm_service_present?.stdout ?? '').split('\n').filter(Boolean), cluster(v), [], otherClusters(v));

function serviceRemoval(suffix: string, when: (v: RemoveVars) => boolean, on?: (v: RemoveVars) => string): TaskItem<RemoveVars>[] {
  const where = on ? { delegate_to: on } : {};
  const removed = (v: RemoveVars) => changed(v.pg_rm_service_removed);
  return [
    task(`list haproxy service files${suffix}`, shell, { cmd: `ls -1 ${HAPROXY_CONF_DIR} 2>/dev/null || true` }, {
      when,
      register: 'pg_rm_service_present',
      check_mode: false,
      changed_when: () => false,
      ...where,
      ...lenient,
    }),
    task(`remove the cluster's haproxy services${suffix}`, file, (_v, name: string) => ({ path: `${HAPROXY_CONF_DIR}/${name}`, state: 'absent' as const }), {
      when: (v) => when(v) && serviceFilesOf(v).length > 0,
      loop: serviceFilesOf,
      register: 'pg_rm_service_removed',
      ...where,
      ...lenient,
    }),
    task(`check the haproxy configuration${suffix}`, command, { argv: HAPROXY_CHECK }, {
      when: (v) => when(v) && removed(v),
      check_mode: false,
      changed_when: () => false,
      ...where,
      ...lenient,
    }),
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

//------------------------------------------------------------------ postgres

/** Stop Patroni and PostgreSQL, politely then by force: the data directory must be closed before it goes. */
const stopPostgres = (v: RoleVars): string =>
  [
    'timeout 30s systemctl stop patroni 2>/dev/null || systemctl kill patroni 2>/dev/null || true',
    'timeout 15s systemctl stop postgres 2>/dev/null || systemctl kill postgres 2>/dev/null || true',
    'systemctl disable patroni postgres 2>/dev/null || true',
    `if pgrep -u ${shq(dbsu(v))} -f -- '-D ' >/dev/null; then ${shq(`${binDir(v)}/pg_ctl`)} -D ${shq(v.pg_data ?? '/pg/data')} stop -m immediate || true; fi`,
    'sleep 1',
    `pkill -9 -u ${shq(dbsu(v))} -f -- 'postgres|postmaster' || true`,
  ].join('\n');

/** The etcd key prefix Patroni keeps the cluster under (the trailing / spares clusters whose name extends this one's). */
export const etcdPrefix = (v: RoleVars): string =>
  `${v.pg_namespace ?? '/pg'}/${v.pg_mode === 'citus' ? `${v.pg_shard ?? cluster(v)}/${v.pg_group ?? 0}` : cluster(v)}/`;

/** etcdctl's endpoints (the etcd group, TLS) and client certificate, as exports before a command. */
const etcdEnv = (v: RoleVars): string => {
  const endpoints = (v.groups.etcd ?? []).map((h) => `https://${h}:${v.etcd_port ?? 2379}`).join(',');
  return `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${shq(endpoints)} ETCDCTL_CACERT=/etc/etcd/ca.crt ETCDCTL_CERT=/etc/etcd/server.crt ETCDCTL_KEY=/etc/etcd/server.key`;
};

const postgres: TaskItem<RemoveVars>[] = [
  // Replicas first, so removing a whole cluster triggers no failover.
  task('stop postgres replicas', shell, (v) => ({ cmd: stopPostgres(v), executable: '/bin/bash' }), { tags: ['pg_replica'], when: (v) => !isPrimary(v), ...lenient }),
  task('stop the postgres primary', shell, (v) => ({ cmd: stopPostgres(v), executable: '/bin/bash' }), { tags: ['pg_primary'], when: isPrimary, ...lenient }),
  task(
    'remove the cluster from etcd',
    shell,
    (v) => ({
      // The root password comes on stdin, so it shows neither in the task nor in the process list.
      cmd: `${etcdEnv(v)}\nread -r ETCDCTL_USER && export ETCDCTL_USER && etcdctl del ${shq(etcdPrefix(v))} --prefix`,
      executable: '/bin/bash',
      stdin: `root:${v.etcd_root_password ?? 'Etcd.Root'}\n`,
    }),
    {
      tags: ['pg_meta'],
      when: (v) => isPrimary(v) && cluster(v) !== '' && cluster(v) !== 'root' && (v.groups.etcd ?? []).length > 0,
      delegate_to: (v) => v.groups.etcd?.[0] as string,
      ...lenient,
    },
  ),
];

//------------------------------------------------------------------ backup, data, packages

const backup: TaskItem<RemoveVars>[] = [
  task(
    'stop pgbackrest and delete the stanza',
    shell,
    (v) => ({
      cmd: `if [ -f ${PGBACKREST_CONF} ]; then pgbackrest ${shq(`--stanza=${cluster(v)}`)} --force stop; pgbackrest ${shq(`--stanza=${cluster(v)}`)} --force stanza-delete; fi`,
      executable: '/bin/bash',
    }),
    { when: isPrimary, become_user: dbsu, ...lenient },
  ),
  task('remove the local backup repository', file, (v) => ({ path: localRepoPath(v) ?? '/pg/backup', state: 'absent' as const }), {
    when: (v) => (v.pgbackrest_method ?? 'local') === 'local' && localRepoPath(v) !== undefined,
    ...lenient,
  }),
  task('remove the pgbackrest config', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
    loop: [PGBACKREST_CONF, PGBACKREST_INITIAL_MARKER],
    ...lenient,
  }),
];

/** Package names from pg_packages / pg_extensions entries ("a b,c" lists, $v for pg_version). */
export const packageNames = (entries: string[] | undefined): string[] => (entries ?? []).flatMap((e) => e.split(/[\s,]+/)).filter(Boolean);

const uninstall: TaskItem<RemoveVars>[] = [
  task('remove the postgres environment', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
    loop: ['/etc/profile.d/pgsql.sh', '/etc/profile.d/pg-alias.sh'],
    ...lenient,
  }),
  task('uninstall extensions', pkg, (v) => ({ name: packageNames(v.pg_extensions), state: 'absent' as const, aliases: true }), {
    tags: ['pg_extension', 'pg_ext'],
    when: (v) => packageNames(v.pg_extensions).length > 0,
    ...lenient,
  }),
  task('uninstall postgres packages', pkg, (v) => ({ name: packageNames(v.pg_packages ?? ['pgsql-main pgsql-common']), state: 'absent' as const, aliases: true }), {
    ...lenient,
  }),
];

/**
 * pg_remove (pgsql-rm): honour pg_safeguard, take the cluster out of its access paths (vip-manager,
 * haproxy services, pgbouncer), drop the dbsu crontab, stop replicas then the primary and clear the cluster
 * from etcd, delete the backup stanza and repository (pg_rm_backup), the data (pg_rm_data) and the packages
 * (pg_rm_pkg). Monitoring registrations belong to pg_monitor's removal and are not touched here.
 */
export const pgRemove = role({
  name: 'pg_remove',
  tasks: [
    task(
      'abort when pg_safeguard is on',
      debug,
      (v) => ({
        msg: flag(v.pg_safeguard, false)
          ? `pg_safeguard is on for ${v.pg_instance ?? cluster(v)} @ ${v.inventory_hostname}: nothing removed (override with -e pg_safeguard=false)`
          : 'pg_safeguard is off',
      }),
      // A guard: no -t, --skip-tags or --start-at-task can leave it out.
      { tags: ['always', 'pg_safeguard'], guard: true, failed_when: (_r, v) => flag(v.pg_safeguard, false) },
    ),
    task('monitoring targets are left to the monitor removal', debug, { msg: 'pg_monitor registrations (metrics targets, datasources, log collection) are not removed by this playbook' }, {
      tags: ['pg_monitor', 'pg_deregister', 'deregister'],
    }),
    include(
      'vip-manager',
      [
        task('stop and disable vip-manager', systemd, { name: 'vip-manager', state: 'stopped', enabled: false }, lenient),
        task('remove vip-manager config and unit', file, (_v, path: string) => ({ path, state: 'absent' as const }), { loop: [VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT], ...lenient }),
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
    task(
      'remove the dbsu crontab',
      file,
      (v) => ({ path: `${v.os_package === 'rpm' ? '/var/spool/cron/' : '/var/spool/cron/crontabs/'}${dbsu(v)}`, state: 'absent' as const }),
      { tags: ['pg_crontab'], ...lenient },
    ),
    include('postgres', postgres, { tags: ['pg_bootstrap', 'postgres', 'patroni'] }),
    include('pgbackrest', backup, { tags: ['pg_backup', 'pgbackrest'], when: (v) => flag(v.pg_rm_backup, true) }),
    task('remove postgres data', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
      tags: ['pg_data'],
      when: (v) => flag(v.pg_rm_data, true),
      loop: (v) => [...new Set([v.pg_data ?? '/pg/data', '/pg/data'])],
      ...lenient,
    }),
    include('packages', uninstall, { tags: ['pg_pkg'], when: (v) => flag(v.pg_rm_pkg, true) }),
  ],
});
