import { registerTargetTasks } from '../../infra/tasks/register.ts';
import { etcdTargets } from '../../infra/targets.ts';
import { instanceOf } from '../etcd-members.ts';
import type { EtcdVars } from '../registers.ts';

/** [etcd_register]: the member's client port as a scrape target on every infra host (metrics over HTTPS). */
export const registerTasks = registerTargetTasks<EtcdVars>({
  what: 'the etcd member',
  job: 'etcd',
  name: instanceOf,
  content: (v) => etcdTargets({ ip: v.inventory_hostname, etcd_cluster: v.etcd_cluster, instance: instanceOf(v), etcd_port: v.etcd_port }),
  tags: ['etcd_register', 'register', 'add_metrics'],
});
