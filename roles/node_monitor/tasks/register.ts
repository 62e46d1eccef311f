import type { TaskItem } from '../../../engine/dsl.ts';
import { registerTargetTasks } from '../../infra/tasks/register.ts';
import { nodeTargets, pingTargets, type NodeIdentity } from '../../infra/targets.ts';
import type { NodeMonitorVars } from '../node-monitor-vars.ts';

const identity = (v: NodeMonitorVars): NodeIdentity => ({
  ip: v.inventory_hostname,
  nodename: v.nodename ?? v.inventory_hostname,
  node_cluster: v.node_cluster,
});

/**
 * [node_register]: the node's exporters (node_exporter, HAProxy's metrics endpoint) and its address for the ping
 * probe, as target files on every infra host.
 */
export const registerTasks: TaskItem<NodeMonitorVars>[] = [
  ...registerTargetTasks<NodeMonitorVars>({
    what: 'the node exporters',
    job: 'node',
    name: (v) => v.inventory_hostname,
    content: (v) =>
      nodeTargets({
        ...identity(v),
        ...(v.node_exporter_enabled ? { node_exporter: v.node_exporter_port } : {}),
        ...(v.haproxy_enabled ? { haproxy_exporter: v.haproxy_exporter_port } : {}),
      }),
    tags: ['monitor', 'node_register', 'register', 'add_metrics'],
  }),
  ...registerTargetTasks<NodeMonitorVars>({
    what: 'the node ping',
    job: 'ping',
    name: (v) => v.inventory_hostname,
    content: (v) => pingTargets(identity(v)),
    tags: ['monitor', 'node_register', 'register', 'add_metrics'],
  }),
];
