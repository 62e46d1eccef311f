import { dsl } from '../../engine/dsl.ts';
import type { HaproxyVars } from './haproxy-vars.ts';
import { configTasks } from './tasks/config.ts';
import { installTasks } from './tasks/install.ts';
import { launchTasks } from './tasks/launch.ts';
import { reloadTasks } from './tasks/reload.ts';

const { role } = dsl<HaproxyVars>();

/**
 * Pigsty's haproxy role (spec 2.6): the package with a unit that loads /etc/haproxy/haproxy.cfg and conf.d/, the main
 * config (admin/stats page and Prometheus metrics on haproxy_exporter_port), one conf.d file per haproxy_services
 * entry, then start (restart only when the unit changed) and reload when the configuration changed.
 */
export const haproxy = role({
  name: 'haproxy',
  tasks: [...installTasks, ...configTasks, ...launchTasks, ...reloadTasks],
});
