import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import type { PgMonitorVars } from '../pg-monitor-vars.ts';

const { task } = dsl<PgMonitorVars>();

/** What Pigsty's pg_monitor does beyond the two exporters and the registration, said once per host instead of silently left out. */
export const notDeployedTasks = [
  task(
    'pg monitor parts not deployed',
    debug,
    { msg: "pg_monitor: skipped: Grafana datasources (grafana is only in Pigsty's repository)." },
    { tags: ['monitor'] },
  ),
];
