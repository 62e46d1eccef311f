import { changed, dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { pgSql } from '../../../modules/pg-sql.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { template, templatePath } from '../../../modules/template.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { HAPROXY_CHECK, HAPROXY_CONF_DIR, HAPROXY_LOADED, HAPROXY_RELOAD, settleScript } from '../../haproxy/render.ts';
import { pendingAmong, pendingReadTask, reloadPending, stampCommand, stampTask } from '../../reloads.ts';
import type { RoleVars } from '../../vars.ts';
import { renderHbaFile } from '../hba-rules.ts';
import { dbsu } from '../paths.ts';
import { missingUsers, PGBOUNCER_UNIT, pgbouncerTemplateVars, renderUserlist, userlistNames, userlistQuery } from '../pgbouncer-files.ts';
import { required } from '../required.ts';
import { clusterMembers } from '../selector.ts';
import { pgServiceFiles, staleServiceFiles } from '../service-files.ts';
import { interfaceOf, VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT, vipTemplateVars } from '../vip-manager.ts';

/** Results the access steps register and read back (undefined when the step did not run, e.g. filtered by tags). */
type Registered = {
  pgb_unit?: TaskResult;
  pgb_ini?: TaskResult;
  pgb_lists?: TaskResult;
  pgb_hba?: TaskResult;
  pgb_secrets?: TaskResult;
  pgb_userlist?: TaskResult;
  pgb_started?: TaskResult;
  pgb_restarted?: TaskResult;
  pgb_pending?: TaskResult;
  pg_vip_probe?: TaskResult;
  pg_vip_files?: TaskResult;
  pg_vip_started?: TaskResult;
  pg_vip_restarted?: TaskResult;
  pg_vip_pending?: TaskResult;
  pg_service_files?: TaskResult;
  pg_service_present?: TaskResult;
  pg_service_removed?: TaskResult;
  pg_service_reloaded?: TaskResult;
  pg_service_pending?: TaskResult;
};
export type AccessVars = RoleVars & Registered;

const { task, include } = dsl<AccessVars>();

//------------------------------------------------------------------ pgbouncer

/** /etc/pgbouncer/userlist.txt content from the secrets read in pg_authid. */
function userlistContent(v: AccessVars): string {
  const { dbsu: su, users } = userlistNames(v);
  const rows = (v.pgb_secrets?.rows ?? []) as { rolname: string | null; rolpassword: string | null }[];
  return renderUserlist(su, users, rows);
}

/** The database and user option files of pgbouncer; pgsql-user / pgsql-db rewrite them with the same templates. */
export const pgbouncerListFiles = [
  { src: 'pgb-database.hbs', dest: '/etc/pgbouncer/database.txt' },
  { src: 'pgb-useropts.hbs', dest: '/etc/pgbouncer/useropts.txt' },
].map((f) => ({ ...f, src: templatePath(import.meta.url, f.src) }));

/** Write database.txt and useropts.txt (tags are the caller's). */
export const pgbouncerListTask = (tags: string[], register = 'pgb_lists') =>
  task(
    'write pgbouncer database list and user options',
    template,
    (v, item: { src: string; dest: string }) => ({
      src: item.src,
      dest: item.dest,
      owner: dbsu(v),
      group: 'postgres',
      mode: '0600',
      vars: { pgb: pgbouncerTemplateVars(v) },
    }),
    { tags, loop: pgbouncerListFiles, register },
  );

/** Read the stored secrets of the userlist's users as the dbsu (never logged). */
export const pgbouncerSecretsTask = (tags: string[]) =>
  task(
    'read pgbouncer user secrets from pg_authid',
    pgSql,
    (v) => ({ sql: userlistQuery(userlistNames(v).users), readonly: true, port: v.pg_port }),
    { tags, become_user: dbsu, no_log: true, register: 'pgb_secrets' },
  );

/** Say which userlist users PostgreSQL does not have: pgbouncer cannot let them in. */
export const pgbouncerMissingTask = (tags: string[]) =>
  task(
    'report pgbouncer users missing from postgres',
    debug,
    (v) => ({
      msg: `not in the userlist, no such role in postgres yet: ${missingUsers(userlistNames(v).users, (v.pgb_secrets?.rows ?? []) as { rolname: string }[]).join(', ')}`,
    }),
    { tags, when: (v) => v.pgb_secrets?.rows !== undefined && missingUsers(userlistNames(v).users, v.pgb_secrets.rows as { rolname: string }[]).length > 0 },
  );

/** Write userlist.txt from the secrets read (never logged: it holds them). */
export const pgbouncerUserlistTask = (tags: string[]) =>
  task(
    'write pgbouncer userlist',
    copy,
    (v) => ({ dest: '/etc/pgbouncer/userlist.txt', content: userlistContent(v), owner: dbsu(v), group: 'postgres', mode: '0600' }),
    { tags, no_log: true, register: 'pgb_userlist', when: (v) => v.pgb_secrets?.rows !== undefined },
  );

/** Files pgbouncer rereads on SIGHUP, and those a restart applies (pgsql's unit and pgbouncer.ini). */
export const PGBOUNCER_RELOAD_FILES = ['/etc/pgbouncer/database.txt', '/etc/pgbouncer/useropts.txt', '/etc/pgbouncer/pgb_hba.conf', '/etc/pgbouncer/userlist.txt'];
export const PGBOUNCER_RESTART_FILES = [PGBOUNCER_UNIT, '/etc/pgbouncer/pgbouncer.ini'];

/**
 * Reload pgbouncer when one of the files it rereads on SIGHUP changed, in this run or in one that ended before its
 * reload (pgb_pending), and it was not (re)started just now; the stamp records that it loaded them.
 */
export const pgbouncerReloadTask = (tags: string[]) =>
  task('reload pgbouncer', shell, { cmd: `systemctl reload-or-restart pgbouncer && ${stampCommand('pgbouncer')}` }, {
    tags,
    when: (v) =>
      v.pg_reload &&
      ([v.pgb_lists, v.pgb_hba, v.pgb_userlist].some(changed) || reloadPending(v.pgb_pending)) &&
      !changed(v.pgb_started) &&
      !changed(v.pgb_restarted),
  });

const pgbouncer: TaskItem<AccessVars>[] = [
  task(
    'create pgbouncer directories',
    file,
    (v, d: { path: string; mode: string }) => ({ path: d.path, state: 'directory' as const, owner: dbsu(v), group: 'postgres', mode: d.mode }),
    {
      tags: ['pgbouncer_dir'],
      // The modes the core's pg_dir step gives them too, so the two steps never undo each other.
      loop: (v) => [
        { path: '/etc/pgbouncer', mode: '0700' },
        { path: v.pgbouncer_log_dir, mode: '0750' },
      ],
    },
  ),
  task(
    'write pgbouncer unit',
    template,
    (v) => ({ src: templatePath(import.meta.url, 'pgb-unit.hbs'), dest: PGBOUNCER_UNIT, owner: 'root', group: 'root', mode: '0644', vars: { pgb: pgbouncerTemplateVars(v) } }),
    { tags: ['pgbouncer_config'], register: 'pgb_unit' },
  ),
  task(
    'write pgbouncer.ini',
    template,
    (v) => ({
      src: templatePath(import.meta.url, 'pgb-ini.hbs'),
      dest: '/etc/pgbouncer/pgbouncer.ini',
      owner: dbsu(v),
      group: 'postgres',
      mode: '0640',
      vars: { pgb: pgbouncerTemplateVars(v) },
    }),
    { tags: ['pgbouncer_config'], register: 'pgb_ini' },
  ),
  pgbouncerListTask(['pgbouncer_config']),
  task(
    'write pgbouncer hba rules',
    copy,
    (v) => ({
      dest: '/etc/pgbouncer/pgb_hba.conf',
      content: renderHbaFile([...v.pgb_default_hba_rules, ...v.pgb_hba_rules], 'pgbouncer', v),
      owner: dbsu(v),
      group: 'postgres',
      mode: '0600',
    }),
    { tags: ['pgbouncer_config', 'pgbouncer_hba'], register: 'pgb_hba' },
  ),
  pgbouncerSecretsTask(['pgbouncer_config', 'pgbouncer_user']),
  pgbouncerMissingTask(['pgbouncer_config', 'pgbouncer_user']),
  pgbouncerUserlistTask(['pgbouncer_config', 'pgbouncer_user']),
  pendingReadTask<AccessVars>('find pgbouncer files not loaded yet', 'pgbouncer', () => [...PGBOUNCER_RESTART_FILES, ...PGBOUNCER_RELOAD_FILES], {
    tags: ['pgbouncer_config', 'pgbouncer_hba', 'pgbouncer_user', 'pgbouncer_launch', 'pgbouncer_restart', 'pgbouncer_reload'],
    register: 'pgb_pending',
  }),
  task('launch pgbouncer', systemd, { name: 'pgbouncer', state: 'started', enabled: true }, { tags: ['pgbouncer_launch'], register: 'pgb_started' }),
  task('restart pgbouncer on a new unit or pgbouncer.ini', systemd, { name: 'pgbouncer', state: 'restarted' }, {
    tags: ['pgbouncer_launch', 'pgbouncer_restart'],
    register: 'pgb_restarted',
    when: (v) => (changed(v.pgb_unit) || changed(v.pgb_ini) || pendingAmong(v.pgb_pending, PGBOUNCER_RESTART_FILES)) && !changed(v.pgb_started),
  }),
  stampTask<AccessVars>('record that pgbouncer loaded its files', 'pgbouncer', {
    tags: ['pgbouncer_launch', 'pgbouncer_restart'],
    when: (v) => changed(v.pgb_started) || changed(v.pgb_restarted),
  }),
  task('wait for pgbouncer', waitFor, (v) => ({ host: '127.0.0.1', port: v.pgbouncer_port, timeout: 10 }), { tags: ['pgbouncer_launch'] }),
  pgbouncerReloadTask(['pgbouncer_reload', 'pgbouncer_config', 'pgbouncer_hba', 'pgbouncer_user']),
];

//------------------------------------------------------------------ vip-manager

/** The NIC to bind the VIP on: pg_vip_interface, or with auto the one holding the host's address. */
function vipInterface(v: AccessVars): string {
  if (v.pg_vip_interface !== 'auto') return v.pg_vip_interface;
  const found = interfaceOf(String(v.pg_vip_probe?.stdout ?? ''), v.inventory_hostname);
  if (!found) throw new Error(`pg_vip_interface auto: no interface holds ${v.inventory_hostname}; set pg_vip_interface`);
  return found;
}

const vip: TaskItem<AccessVars>[] = [
  task('find the interface holding the host address', shell, { cmd: 'ip -o -4 addr show' }, {
    tags: ['pg_vip_config'],
    when: (v) => v.pg_vip_interface === 'auto',
    register: 'pg_vip_probe',
    check_mode: false,
    changed_when: () => false,
  }),
  task(
    'write vip-manager config and unit',
    template,
    (v, item: { src: string; dest: string; group: string; mode: string }) => ({
      src: templatePath(import.meta.url, item.src),
      dest: item.dest,
      owner: 'root',
      group: item.group,
      mode: item.mode,
      vars: { vip: vipTemplateVars(v, vipInterface(v)) },
    }),
    {
      tags: ['pg_vip_config'],
      // The config holds the cluster's etcd password.
      no_log: true,
      register: 'pg_vip_files',
      loop: [
        { src: 'vip-manager.hbs', dest: VIP_MANAGER_CONFIG, group: 'postgres', mode: '0600' },
        { src: 'vip-unit.hbs', dest: VIP_MANAGER_UNIT, group: 'root', mode: '0644' },
      ],
    },
  ),
  pendingReadTask<AccessVars>('find vip-manager files not loaded yet', 'vip-manager', () => [VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT], {
    tags: ['pg_vip_config', 'pg_vip_launch'],
    when: (v) => v.pg_vip_enabled && v.pg_reload,
    register: 'pg_vip_pending',
  }),
  task('launch vip-manager', systemd, { name: 'vip-manager', state: 'started', enabled: true }, {
    tags: ['pg_vip_launch'],
    when: (v) => v.pg_vip_enabled && v.pg_reload,
    register: 'pg_vip_started',
  }),
  // Also for files a run wrote and ended before restarting it on (a host without a stamp yet is left running).
  task('restart vip-manager on a new config or unit', systemd, { name: 'vip-manager', state: 'restarted' }, {
    tags: ['pg_vip_launch'],
    when: (v) =>
      v.pg_vip_enabled && v.pg_reload && (changed(v.pg_vip_files) || pendingAmong(v.pg_vip_pending, [VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT])) && !changed(v.pg_vip_started),
    register: 'pg_vip_restarted',
  }),
  stampTask<AccessVars>('record that vip-manager loaded its files', 'vip-manager', {
    tags: ['pg_vip_launch'],
    when: (v) => changed(v.pg_vip_started) || changed(v.pg_vip_restarted),
  }),
  // Debian's package enables vip-manager at install; without a VIP to hold it only fails (and degrades systemd).
  task('keep vip-manager off while the VIP is disabled', systemd, { name: 'vip-manager', state: 'stopped', enabled: false }, {
    tags: ['pg_vip_launch'],
    when: (v) => !v.pg_vip_enabled,
  }),
];

//------------------------------------------------------------------ haproxy services

/** This cluster's service files: pg_default_services + pg_services over the inventory's members. */
export function serviceFiles(v: RoleVars): { name: string; content: string }[] {
  const cluster = required(v, 'pg_cluster');
  const files = pgServiceFiles([...v.pg_default_services, ...v.pg_services], {
    cluster,
    members: clusterMembers(v.hostvars, cluster),
    defaultDest: v.pg_default_service_dest,
    rto: v.pg_rto,
    rtoPlan: v.pg_rto_plan,
  });
  return [...files].map(([name, content]) => ({ name, content }));
}

/** Names of the other clusters in the inventory (their service files share the directory). */
export const otherClusters = (v: RoleVars): string[] =>
  [...new Set(Object.values(v.hostvars).flatMap((h) => (typeof h.pg_cluster === 'string' ? [h.pg_cluster] : [])))].filter((c) => c !== v.pg_cluster);

/** Files of this cluster the directory listing shows that no service wants any more. */
function staleFiles(v: AccessVars): string[] {
  const listing = String(v.pg_service_present?.stdout ?? '')
    .split('\n')
    .filter(Boolean);
  return staleServiceFiles(listing, required(v, 'pg_cluster'), serviceFiles(v).map((f) => f.name), otherClusters(v));
}

/** Whether haproxy has service files it has not loaded: changed now, or by a run that ended before its reload. */
const servicesChanged = (v: AccessVars): boolean => changed(v.pg_service_files) || changed(v.pg_service_removed) || reloadPending(v.pg_service_pending);

/** Whether the services go to this host's haproxy (no dedicated provider group). */
export const localProvider = (v: RoleVars): boolean => v.pg_service_provider === '' || !(v.pg_service_provider in v.groups);

/**
 * The service steps on one haproxy host: ensure conf.d, write the files, drop stale ones, check, reload.
 * `on` delegates them (a provider host), `when` gates them.
 */
function serviceSteps(suffix: string, when: (v: AccessVars) => boolean, on?: (v: AccessVars) => string): TaskItem<AccessVars>[] {
  const where = on ? { delegate_to: on } : {};
  return [
    task(`create the haproxy service directory${suffix}`, file, { path: HAPROXY_CONF_DIR, state: 'directory' }, { tags: ['pg_service_config'], when, ...where }),
    task(
      `write haproxy service files${suffix}`,
      copy,
      (_v, item: { name: string; content: string }) => ({ dest: `${HAPROXY_CONF_DIR}/${item.name}.cfg`, content: item.content, owner: 'root', group: 'root', mode: '0644' }),
      { tags: ['pg_service_config'], when, loop: serviceFiles, register: 'pg_service_files', ...where },
    ),
    task(`list haproxy service files${suffix}`, command, { argv: ['ls', '-1', HAPROXY_CONF_DIR] }, {
      tags: ['pg_service_config'],
      when,
      register: 'pg_service_present',
      check_mode: false,
      changed_when: () => false,
      ...where,
    }),
    task(`remove services the cluster no longer has${suffix}`, file, (_v, name: string) => ({ path: `${HAPROXY_CONF_DIR}/${name}`, state: 'absent' as const }), {
      tags: ['pg_service_config'],
      when: (v) => when(v) && staleFiles(v).length > 0,
      loop: staleFiles,
      register: 'pg_service_removed',
      ...where,
    }),
    pendingReadTask<AccessVars>(`find haproxy files not loaded yet${suffix}`, 'haproxy', () => HAPROXY_LOADED, {
      tags: ['pg_service_config', 'pg_service_reload'],
      when,
      register: 'pg_service_pending',
      ...where,
    }),
    task(`check the haproxy configuration${suffix}`, command, { argv: HAPROXY_CHECK }, {
      tags: ['pg_service_reload'],
      when: (v) => when(v) && v.pg_reload && servicesChanged(v),
      check_mode: false,
      changed_when: () => false,
      ...where,
    }),
    task(`reload haproxy${suffix}`, shell, { cmd: HAPROXY_RELOAD }, {
      tags: ['pg_service_reload'],
      when: (v) => when(v) && v.pg_reload && servicesChanged(v),
      register: 'pg_service_reloaded',
      ...where,
    }),
    // A deploy that ends while haproxy still counts replicas as UP in the primary service hands out read-only connections.
    task(`wait for the service health checks to settle${suffix}`, shell, (v) => ({ cmd: settleScript(`${v.pg_cluster}-`, 60) }), {
      tags: ['pg_service_reload'],
      when: (v) => when(v) && changed(v.pg_service_reloaded),
      changed_when: () => false,
      ...where,
    }),
  ];
}

/** Dedicated haproxy groups larger than this are refused (a delegated step runs on one host; see the report). */
export const MAX_SERVICE_PROVIDERS = 4;

/** The hosts of the dedicated haproxy group (pg_service_provider), if there is one. */
export const providers = (v: RoleVars): string[] => v.groups[v.pg_service_provider] ?? [];

const services: TaskItem<AccessVars>[] = [
  ...serviceSteps('', localProvider),
  task('refuse a dedicated haproxy group too large', debug, (v) => ({ msg: `pg_service_provider ${v.pg_service_provider} has ${providers(v).length} hosts` }), {
    tags: ['pg_service_config'],
    when: (v) => !localProvider(v) && v.pg_role === 'primary',
    failed_when: (_r, v) => providers(v).length > MAX_SERVICE_PROVIDERS,
  }),
  // Delegation happens once per task (not per loop item), so each provider host gets its own copy of the steps.
  ...Array.from({ length: MAX_SERVICE_PROVIDERS }, (_, i) =>
    serviceSteps(
      ` on provider #${i + 1}`,
      (v) => !localProvider(v) && v.pg_role === 'primary' && providers(v).length > i,
      (v) => providers(v)[i] as string,
    ),
  ).flat(),
];

/**
 * The access part of the pgsql role: pgbouncer [pg_access,pgbouncer] (when pgbouncer_enabled), vip-manager
 * [pg_access,pg_vip], and the cluster's haproxy services [pg_access,pg_service].
 */
export const pgAccess = [
  include('pgbouncer', pgbouncer, { tags: ['pg_access', 'pgbouncer'], when: (v) => v.pgbouncer_enabled }),
  include('vip-manager', vip, { tags: ['pg_access', 'pg_vip'] }),
  // haproxy comes with the node role: without it (haproxy_enabled false) there is nothing to serve the services.
  include('haproxy services', services, { tags: ['pg_access', 'pg_service'], when: (v) => v.haproxy_enabled }),
] as TaskItem<RoleVars>[];
