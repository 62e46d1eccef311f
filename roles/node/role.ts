import { dsl } from '../../engine/dsl.ts';
import type { NodeVars } from './node-vars.ts';
import { adminTasks } from './tasks/admin.ts';
import { dnsTasks } from './tasks/dns.ts';
import { pkgTasks } from './tasks/pkg.ts';
import { probeTasks } from './tasks/probe.ts';
import { secTasks } from './tasks/sec.ts';
import { timeTasks } from './tasks/time.ts';
import { tuneTasks } from './tasks/tune.ts';
import { vipTasks } from './tasks/vip.ts';

const { role } = dsl<NodeVars>();

/**
 * Pigsty's node role (spec 2.5): name, /etc/hosts and resolver, SELinux/firewall, the CA in the trust store,
 * repositories and packages, kernel modules and tuning, profile, limits, data dir, the admin user, time and cron,
 * and the optional keepalived VIP. Run node_id first.
 */
export const node = role({
  name: 'node',
  tasks: [...probeTasks, ...dnsTasks, ...secTasks, ...pkgTasks, ...tuneTasks, ...adminTasks, ...timeTasks, ...vipTasks],
});
