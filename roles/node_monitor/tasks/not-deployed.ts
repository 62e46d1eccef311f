import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import type { NodeMonitorVars } from '../node-monitor-vars.ts';

const { task } = dsl<NodeMonitorVars>();

/** What Pigsty's node_monitor does beyond node_exporter and the registration, said once per host instead of silently left out. */
export const notDeployedTasks = [
  task(
    'node monitor parts not deployed',
    debug,
    (v) => ({
      msg:
        "node_monitor: skipped: vector logs (vector is only in Pigsty's repository)" +
        `${v.vip_enabled ? ", the keepalived exporter for the node VIP (idem) and the VIP's ping target" : ''}.`,
    }),
    { tags: ['monitor'] },
  ),
];
