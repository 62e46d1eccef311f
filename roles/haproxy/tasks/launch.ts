import { changed, dsl } from '../../../engine/dsl.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { stampTask } from '../../reloads.ts';
import type { HaproxyVars } from '../haproxy-vars.ts';
import { HAPROXY_UNIT } from '../render.ts';

const { task, include } = dsl<HaproxyVars>();

/** Whether systemd still runs haproxy from another unit file than ours (just written, or left by a failed run). */
const unitStale = (v: HaproxyVars): boolean =>
  changed(v.haproxy_unit) || (v.haproxy_fragment !== undefined && v.haproxy_fragment.stdout?.trim() !== `FragmentPath=${HAPROXY_UNIT}`);

/** Start haproxy (restart it when its unit changed), record that it loaded its files, and wait for its stats port. */
export const launchTasks = [
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
    { tags: ['haproxy_launch'], when: (v) => v.haproxy_enabled },
  ),
];
