import { dsl } from '../../engine/dsl.ts';
import { exporterTasks, registerTasks, type ExportersVars } from './tasks/exporters.ts';

const { role } = dsl<ExportersVars>();

/**
 * Pigsty's pg_exporters role (pgsql-monitor.yml): from each infra host, postgres_exporter for every remote
 * PostgreSQL of pg_exporters (a managed database, an instance outside the inventory), registered as pgrds targets.
 */
export const pgExporters = role({ name: 'pg_exporters', tasks: [...exporterTasks, ...registerTasks] });
