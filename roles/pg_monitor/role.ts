import { dsl } from '../../engine/dsl.ts';
import type { PgMonitorVars } from './pg-monitor-vars.ts';
import { notDeployedTasks } from './tasks/not-deployed.ts';
import { pgExporterTasks } from './tasks/pg-exporter.ts';
import { pgbackrestMetricsTasks } from './tasks/pgbackrest-metrics.ts';
import { pgbouncerExporterTasks } from './tasks/pgbouncer-exporter.ts';
import { registerTasks } from './tasks/register.ts';

const { role } = dsl<PgMonitorVars>();

/**
 * The part of Pigsty's pg_monitor role (spec 2.8) Debian can do: Debian's postgres_exporter and pgbouncer exporter on
 * Pigsty's ports in place of Pigsty's own exporters, pgBackRest's state through node_exporter's textfile collector,
 * and the instance's targets registered on every infra node.
 */
export const pgMonitor = role({
  name: 'pg_monitor',
  tasks: [...pgExporterTasks, ...pgbouncerExporterTasks, ...pgbackrestMetricsTasks, ...registerTasks, ...notDeployedTasks],
});
