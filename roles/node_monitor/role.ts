import { dsl } from '../../engine/dsl.ts';
import type { NodeMonitorVars } from './node-monitor-vars.ts';
import { certMetricsTasks } from './tasks/cert-metrics.ts';
import { nodeExporterTasks } from './tasks/node-exporter.ts';
import { notDeployedTasks } from './tasks/not-deployed.ts';
import { registerTasks } from './tasks/register.ts';

const { role } = dsl<NodeMonitorVars>();

/**
 * The part of Pigsty's node_monitor role (spec 2.7) Debian can do: node_exporter from Debian's
 * prometheus-node-exporter on node_exporter_port, certificate expiry times for it, and the node's targets (exporters, ping) registered on every infra
 * node. Vector and the keepalived exporter are skipped with a notice.
 */
export const nodeMonitor = role({
  name: 'node_monitor',
  tasks: [...nodeExporterTasks, ...certMetricsTasks, ...registerTasks, ...notDeployedTasks],
});
