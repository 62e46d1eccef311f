import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import type { NodeMonitorVars } from '../node-monitor-vars.ts';

const { task } = dsl<NodeMonitorVars>();

/** What Pigsty's node_monitor does beyond node_exporter, said once per host instead of silently left out. */
export const notDeployedTasks = [
  task(
    'node monitor parts not deployed',
    debug,
    (v) => ({
      msg:
        'node_monitor: only node_exporter is set up. Skipped: vector logs (vector is only in Pigsty\'s repository), ' +
        `the keepalived exporter${v.vip_enabled ? ' for the node VIP' : ''} (idem), and registering this node's targets on infra nodes (the infra role's part).`,
    }),
    { tags: ['monitor'] },
  ),
];
