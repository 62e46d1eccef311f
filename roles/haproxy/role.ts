import { command } from '../../modules/command.ts';
import { copy, filesPath } from '../../modules/copy.ts';
import { changed, dsl, type TaskItem, type TaskResult } from '../../engine/dsl.ts';
import { debug } from '../../modules/debug.ts';
import { file } from '../../modules/file.ts';
import { pkg } from '../../modules/package.ts';
import { shell } from '../../modules/shell.ts';
import { systemd } from '../../modules/systemd.ts';
import { template, templatePath } from '../../modules/template.ts';
import { waitFor } from '../../modules/wait-for.ts';
import type { HaproxyService } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { pendingReadTask, reloadPending, stampTask } from '../reloads.ts';
import { HAPROXY_CFG, HAPROXY_CHECK, HAPROXY_CONF_DIR, HAPROXY_LOADED, HAPROXY_RELOAD, haproxyServicePath, renderHaproxyService } from './render.ts';

export { HAPROXY_CFG, HAPROXY_CHECK, HAPROXY_CONF_DIR, haproxyServicePath, renderHaproxyService } from './render.ts';

interface HaproxyRegisters {
  haproxy_unit?: TaskResult;
  haproxy_fragment?: TaskResult;
  haproxy_nofile?: TaskResult;
  haproxy_cfg?: TaskResult;
  haproxy_svc?: TaskResult;
  haproxy_launch?: TaskResult;
  haproxy_pending?: TaskResult;
}
type HaproxyVars = RoleVars & HaproxyRegisters;

const { task, include, role } = dsl<HaproxyVars>();

const enabled = (v: HaproxyVars) => v.haproxy_enabled;

export const HAPROXY_UNIT = '/etc/systemd/system/haproxy.service';

/** Whether systemd still runs haproxy from another unit file than ours (just written, or left by a failed run). */
const unitStale = (v: HaproxyVars): boolean =>
  changed(v.haproxy_unit) || (v.haproxy_fragment !== undefined && v.haproxy_fragment.stdout?.trim() !== `FragmentPath=${HAPROXY_UNIT}`);

/** Pigsty's global maxconn. */
export const HAPROXY_MAXCONN = 65535;

/**
 * The global maxconn for a node whose services may open at most `hardNofile` files (systemd's own hard limit, which
 * caps the unit's LimitNOFILE): HAProxy needs about two descriptors per connection and refuses to start otherwise.
 * Pigsty's 65535 where the limit allows it (VMs, bare metal); less in containers with a low limit.
 */
export function haproxyMaxconn(hardNofile: string | undefined): number {
  const limit = hardNofile === undefined || hardNofile === 'unlimited' ? Infinity : Number(hardNofile);
  if (!Number.isFinite(limit) || limit <= 0) return HAPROXY_MAXCONN;
  return Math.max(100, Math.min(HAPROXY_MAXCONN, Math.floor((limit - 200) / 2)));
}

/** A value for haproxy.cfg as one double-quoted word: HAProxy expands $VARS and escapes inside double quotes. */
export const cfgQuote = (value: string): string => `"${value.replace(/[\\"$]/g, '\\$&')}"`;

/**
 * Tasks that check HAProxy's whole configuration and reload it, for roles that change files in conf.d (the pgsql
 * role's services): the reload runs when `changed(v)` says a file changed, or always when it is undefined.
 */
export function haproxyReloadTasks<V extends RoleVars>(options: { tags?: string[]; when?: (v: V) => boolean; changed?: (v: V) => boolean } = {}): TaskItem<V>[] {
  const d = dsl<V>();
  const tags = options.tags ? { tags: options.tags } : {};
  return [
    d.task('check the haproxy configuration', command, { argv: HAPROXY_CHECK }, { ...tags, ...(options.when ? { when: options.when } : {}), check_mode: false, changed_when: () => false }),
    d.task('reload haproxy', shell, { cmd: HAPROXY_RELOAD }, {
      ...tags,
      when: (v) => (options.when ? options.when(v) : true) && (options.changed ? options.changed(v) : true),
    }),
  ];
}

/**
 * Whether HAProxy runs on older configuration than its files: changed by this run, or by one that ended before its
 * reload; when the config tasks did not run (-t haproxy_reload), a reload was asked for.
 */
function configChanged(v: HaproxyVars): boolean {
  if (v.haproxy_cfg === undefined && v.haproxy_svc === undefined) return true;
  return changed(v.haproxy_cfg) || changed(v.haproxy_svc) || reloadPending(v.haproxy_pending);
}

/**
 * Pigsty's haproxy role (spec 2.6): the package with a unit that loads /etc/haproxy/haproxy.cfg and conf.d/, the main
 * config (admin/stats page and Prometheus metrics on haproxy_exporter_port), one conf.d file per haproxy_services
 * entry, then start (restart only when the unit changed) and reload when the configuration changed.
 */
export const haproxy = role({
  name: 'haproxy',
  tasks: [
    include(
      'install haproxy',
      [
        task('install haproxy', pkg, { name: 'haproxy', update_cache: true, cache_valid_time: 86400 }),
        task('create the haproxy config directories', file, (_v, path: string) => ({ path, state: 'directory' as const, owner: 'root', mode: '0700' }), {
          loop: ['/etc/haproxy', HAPROXY_CONF_DIR],
        }),
        task('create the haproxy environment file', file, { path: '/etc/default/haproxy', state: 'touch', mode: '0644' }),
        task('install the haproxy unit that loads conf.d', copy, { src: filesPath(import.meta.url, 'haproxy.service'), dest: HAPROXY_UNIT, mode: '0644' }, {
          register: 'haproxy_unit',
        }),
        task('find the unit file systemd uses for haproxy', command, { argv: ['systemctl', 'show', '-p', 'FragmentPath', 'haproxy.service'] }, {
          check_mode: false,
          changed_when: () => false,
          register: 'haproxy_fragment',
        }),
      ],
      { tags: ['haproxy_install'], when: enabled },
    ),
    include(
      'configure haproxy',
      [
        task('read the open-file limit of the node\'s services', shell, { cmd: "sed -n 's/^Max open files *[^ ]* *\\([^ ]*\\).*/\\1/p' /proc/1/limits" }, {
          check_mode: false,
          changed_when: () => false,
          register: 'haproxy_nofile',
        }),
        task(
          'note the reduced connection limit',
          debug,
          (v) => ({
            msg: `haproxy: global maxconn ${haproxyMaxconn(v.haproxy_nofile?.stdout)} instead of ${HAPROXY_MAXCONN}: services on this node may open only ${v.haproxy_nofile?.stdout} files.`,
          }),
          { when: (v) => haproxyMaxconn(v.haproxy_nofile?.stdout) < HAPROXY_MAXCONN },
        ),
        task('wipe the haproxy configuration', shell, { cmd: `rm -f ${HAPROXY_CFG} ${HAPROXY_CONF_DIR}/*.cfg` }, { when: (v) => v.haproxy_clean }),
        task(
          'render haproxy.cfg',
          template,
          (v) => ({
            src: templatePath(import.meta.url, 'haproxy.cfg.hbs'),
            dest: HAPROXY_CFG,
            owner: 'root',
            group: 'root',
            mode: '0600',
            vars: {
              haproxy_maxconn: haproxyMaxconn(v.haproxy_nofile?.stdout),
              haproxy_admin_user: cfgQuote(v.haproxy_admin_username), haproxy_admin_secret: cfgQuote(v.haproxy_admin_password),
            },
          }),
          { register: 'haproxy_cfg', no_log: true },
        ),
        task(
          'render the haproxy services',
          copy,
          (v, service: HaproxyService) => ({
            dest: haproxyServicePath(service.name),
            owner: 'root',
            group: 'root',
            mode: '0644',
            content: renderHaproxyService(service, `${v.nodename ?? v.inventory_hostname} (${v.inventory_hostname})`),
          }),
          { loop: (v) => v.haproxy_services, register: 'haproxy_svc', when: (v) => v.haproxy_services.length > 0 },
        ),
      ],
      { tags: ['haproxy_config'], when: enabled },
    ),
    include(
      'launch haproxy',
      [
        task('enable haproxy', systemd, (v) => ({ name: 'haproxy', enabled: true, daemon_reload: unitStale(v) })),
        task('launch haproxy', systemd, (v) => ({ name: 'haproxy', state: unitStale(v) ? ('restarted' as const) : ('started' as const) }), {
          register: 'haproxy_launch',
        }),
        stampTask<HaproxyVars>('record that haproxy loaded its files', 'haproxy', { when: (v) => changed(v.haproxy_launch) }),
        task('wait for haproxy', waitFor, (v) => ({ host: '127.0.0.1', port: v.haproxy_exporter_port, state: 'started' as const, timeout: 10 })),
      ],
      { tags: ['haproxy_launch'], when: enabled },
    ),
    include(
      'reload haproxy',
      [
        pendingReadTask<HaproxyVars>('find haproxy files not loaded yet', 'haproxy', () => HAPROXY_LOADED, { register: 'haproxy_pending' }),
        ...haproxyReloadTasks<HaproxyVars>({
          // A start or restart in this run already loaded the current configuration.
          changed: (v) => configChanged(v) && !v.haproxy_launch?.changed,
        }),
      ],
      { tags: ['haproxy_reload', 'haproxy_config'], when: (v) => enabled(v) && v.haproxy_reload },
    ),
  ],
});
