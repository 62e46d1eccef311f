import { changed, dsl, type TaskItem } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { shell } from '../../../modules/shell.ts';
import { pendingReadTask, reloadPending } from '../../reloads.ts';
import type { RoleVars } from '../../vars.ts';
import type { HaproxyVars } from '../haproxy-vars.ts';
import { HAPROXY_CHECK, HAPROXY_LOADED, HAPROXY_RELOAD } from '../render.ts';

const { include } = dsl<HaproxyVars>();

/**
 * Tasks that check HAProxy's whole configuration and reload it, for roles that change files in conf.d (the pgsql
 * role's services): the reload runs when `changed(v)` says a file changed, or always when it is undefined.
 */
export function haproxyReloadTasks<V extends RoleVars>(
  options: { tags?: string[]; when?: (v: V) => boolean; changed?: (v: V) => boolean } = {},
): TaskItem<V>[] {
  const d = dsl<V>();
  const tags = options.tags ? { tags: options.tags } : {};
  return [
    d.task(
      'check the haproxy configuration',
      command,
      { argv: HAPROXY_CHECK },
      { ...tags, ...(options.when ? { when: options.when } : {}), check_mode: false, changed_when: () => false },
    ),
    d.task(
      'reload haproxy',
      shell,
      { cmd: HAPROXY_RELOAD },
      {
        ...tags,
        when: (v) => (options.when ? options.when(v) : true) && (options.changed ? options.changed(v) : true),
      },
    ),
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

/** Check the whole configuration and reload haproxy when a file changed since it last loaded them. */
export const reloadTasks = [
  include(
    'reload haproxy',
    [
      pendingReadTask<HaproxyVars>('find haproxy files not loaded yet', 'haproxy', () => HAPROXY_LOADED, { register: 'haproxy_pending' }),
      ...haproxyReloadTasks<HaproxyVars>({
        // A start or restart in this run already loaded the current configuration.
        changed: (v) => configChanged(v) && !v.haproxy_launch?.changed,
      }),
    ],
    { tags: ['haproxy_reload', 'haproxy_config'], when: (v) => v.haproxy_enabled && v.haproxy_reload },
  ),
];
