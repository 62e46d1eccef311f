import type { TaskItem } from '../../../engine/dsl.ts';
import { deregisterTargetTasks, registerTargetTasks } from '../../infra/tasks/register.ts';
import { patroniTargets, pgsqlTargets, pgVipTargets } from '../../infra/targets.ts';
import type { PgMonitorVars } from '../pg-monitor-vars.ts';
import { vipIp } from '../../pgsql/vip-manager.ts';
import { patroniScraped, pgIdentity, vipTargetName } from '../pg-targets.ts';

const tags = ['pg_register', 'register', 'add_metrics'];

const patroniOverHttps = (v: PgMonitorVars): boolean => patroniScraped(v) && v.patroni_ssl_enabled;

/**
 * [pg_register]: the instance's exporters and Patroni's REST API as a pgsql target file on every infra host, Patroni
 * over HTTPS in a patroni file of its own, and the cluster's VIP for the ping probe. A patroni or VIP file the
 * parameters no longer ask for is removed, so it leaves no target behind that nothing answers.
 */
export const registerTasks: TaskItem<PgMonitorVars>[] = [
  ...registerTargetTasks<PgMonitorVars>({
    what: 'the PostgreSQL exporters',
    job: 'pgsql',
    name: (v) => pgIdentity(v).ins,
    content: (v) =>
      pgsqlTargets({
        ...pgIdentity(v),
        ...(v.pg_exporter_enabled ? { pg_exporter: v.pg_exporter_port } : {}),
        ...(v.pgbouncer_enabled && v.pgbouncer_exporter_enabled ? { pgbouncer_exporter: v.pgbouncer_exporter_port } : {}),
        ...(patroniScraped(v) && !v.patroni_ssl_enabled ? { patroni: v.patroni_port } : {}),
      }),
    tags,
  }),
  ...registerTargetTasks<PgMonitorVars>({
    what: 'Patroni over HTTPS',
    job: 'patroni',
    name: (v) => pgIdentity(v).ins,
    content: (v) => patroniTargets({ ...pgIdentity(v), patroni: v.patroni_port }),
    when: patroniOverHttps,
    tags,
  }),
  ...deregisterTargetTasks<PgMonitorVars>({
    what: 'Patroni over HTTPS',
    job: 'patroni',
    name: (v) => pgIdentity(v).ins,
    when: (v) => !patroniOverHttps(v),
    tags,
  }),
  ...registerTargetTasks<PgMonitorVars>({
    what: 'the cluster VIP',
    job: 'ping',
    name: vipTargetName,
    content: (v) => pgVipTargets({ ...pgIdentity(v), vip: vipIp(v) }),
    when: (v) => v.pg_vip_enabled,
    tags: ['pg_vip', ...tags],
  }),
  ...deregisterTargetTasks<PgMonitorVars>({
    what: 'the cluster VIP',
    job: 'ping',
    name: vipTargetName,
    when: (v) => !v.pg_vip_enabled,
    tags: ['pg_vip', ...tags],
  }),
];
