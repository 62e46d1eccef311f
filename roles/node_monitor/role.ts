import { dsl } from '../../engine/dsl.ts';
import type { NodeMonitorVars } from './node-monitor-vars.ts';
import { nodeExporterTasks } from './tasks/node-exporter.ts';
import { notDeployedTasks } from './tasks/not-deployed.ts';

const { role } = dsl<NodeMonitorVars>();

/**
 * The part of Pigsty's node_monitor role (spec 2.7) Debian can do: node_exporter from Debian's
 * prometheus-node-exporter on node_exporter_port. Vector, the keepalived exporter and the registration on infra
 * nodes are skipped with a notice.
 */
export const nodeMonitor = role({
  name: 'node_monitor',
  tasks: [...nodeExporterTasks, ...notDeployedTasks],
});
