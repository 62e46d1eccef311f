import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { systemd } from '../../../modules/systemd.ts';
import { deregisterTargetTasks } from '../../infra/tasks/register.ts';
import { PG_EXPORTER_ENV, PGBOUNCER_EXPORTER_ENV } from '../../pg_monitor/exporter-env.ts';
import { pgIdentity, vipTargetName } from '../../pg_monitor/pg-targets.ts';
import { lenient, type RemoveVars } from '../removal.ts';

const { task, include } = dsl<RemoveVars>();

const tags = ['pg_deregister', 'deregister', 'rm_metrics'];
const deregister = { tags, ...lenient };

/** An exporter's removal: stopped and disabled where its package is installed, and its root-only env file (a password) gone. */
const exporterRemoval = (name: string, unit: string, env: string): TaskItem<RemoveVars> =>
  include(
    name,
    [
      task(`stop and disable ${name}`, systemd, { name: unit, state: 'stopped', enabled: false }, lenient),
      task(`remove the ${name} connection file`, file, { path: env, state: 'absent' }, lenient),
    ],
    { tags: [name.replace(/ /g, '_')] },
  );

/**
 * [pg_monitor]: the instance's targets gone from every infra host (and so from VictoriaMetrics within the file_sd
 * check interval), and its exporters stopped before PostgreSQL and pgbouncer are.
 */
export const monitorTasks = [
  include(
    'monitor',
    [
      ...deregisterTargetTasks<RemoveVars>({ what: 'the PostgreSQL exporters', job: 'pgsql', name: (v) => pgIdentity(v).ins, ...deregister }),
      ...deregisterTargetTasks<RemoveVars>({ what: 'Patroni over HTTPS', job: 'patroni', name: (v) => pgIdentity(v).ins, ...deregister }),
      ...deregisterTargetTasks<RemoveVars>({ what: 'the cluster VIP', job: 'ping', name: vipTargetName, ...deregister }),
      exporterRemoval('pg exporter', 'prometheus-postgres-exporter', PG_EXPORTER_ENV),
      exporterRemoval('pgbouncer exporter', 'prometheus-pgbouncer-exporter', PGBOUNCER_EXPORTER_ENV),
      task('grafana datasources are left alone', debug, { msg: "pg_remove: skipped: Grafana datasources (grafana is only in Pigsty's repository)" }),
    ],
    { tags: ['pg_monitor'] },
  ),
];
