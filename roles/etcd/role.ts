import { dsl } from '../../engine/dsl.ts';
import type { EtcdVars } from './registers.ts';
import { assertTasks } from './tasks/assert.ts';
import { authTasks } from './tasks/auth.ts';
import { configTasks } from './tasks/config.ts';
import { dirTasks } from './tasks/dir.ts';
import { installTasks } from './tasks/install.ts';
import { launchTasks } from './tasks/launch.ts';
import { memberTasks } from './tasks/member.ts';
import { registerTasks } from './tasks/register.ts';

const { role } = dsl<EtcdVars>();

/**
 * etcd: the DCS of Patroni, one member per host of the group named etcd_cluster, with mutual TLS from Pigsty's CA
 * and RBAC auth. Debian 12's etcd-server 3.4, run by Pigsty's own unit from /etc/etcd/etcd.conf.
 */
export const etcd = role({
  name: 'etcd',
  tasks: [...assertTasks, ...installTasks, ...dirTasks, ...configTasks, ...memberTasks, ...launchTasks, ...authTasks, ...registerTasks],
});
