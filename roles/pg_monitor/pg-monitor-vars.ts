import type { TaskResult } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';

/** What the pg_monitor role's tasks register, read by later tasks. */
export interface PgMonitorRegisters {
  pg_exporter_dropin?: TaskResult;
  pg_exporter_env?: TaskResult;
  pg_exporter_queries?: TaskResult;
  pg_exporter_pending?: TaskResult;
  pg_exporter_launch?: TaskResult;
  pgbouncer_exporter_script?: TaskResult;
  pgbouncer_exporter_dropin?: TaskResult;
  pgbouncer_exporter_env?: TaskResult;
  pgbouncer_exporter_pending?: TaskResult;
  pgbouncer_exporter_launch?: TaskResult;
  pgbackrest_metrics_script?: TaskResult;
  pgbackrest_metrics_service?: TaskResult;
  pgbackrest_metrics_timer?: TaskResult;
}

/** What the pg_monitor role's tasks read: the parameters and facts every role reads, and its registers. */
export type PgMonitorVars = RoleVars & PgMonitorRegisters;
