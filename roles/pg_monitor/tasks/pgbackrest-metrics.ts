import { changed, dsl } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { systemd } from '../../../modules/systemd.ts';
import { dbsu } from '../../pgsql/paths.ts';
import { helperDirTask, HELPER_DIR } from '../../helper-dir.ts';
import type { PgMonitorVars } from '../pg-monitor-vars.ts';

const { task, include } = dsl<PgMonitorVars>();

const SCRIPT = `${HELPER_DIR}/pgbackrest-metrics`;

/** The oneshot unit the timer runs: the script as root (it writes into node_exporter's root-owned directory), pgBackRest as the dbsu. */
export const pgbackrestMetricsUnit = (user: string): string =>
  [
    "# Installed by Pigsty's pg_monitor role: pgBackRest's stanza and backup state for node_exporter.",
    '[Unit]',
    "Description=pgBackRest metrics for node_exporter's textfile collector",
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${SCRIPT} ${user}`,
    '',
  ].join('\n');

/**
 * [pgbackrest_exporter]: Pigsty's pgbackrest_exporter is not in Debian; a timer writes the same facts (status per
 * stanza, newest backup per type: time, size, count) for node_exporter's textfile collector, so they arrive with
 * the node job. The first run starts with the timer; a changed script or unit runs it again at once.
 */
export const pgbackrestMetricsTasks = [
  include(
    'pgbackrest metrics',
    [
      helperDirTask<PgMonitorVars>(),
      task(
        'install the pgBackRest metrics script',
        copy,
        { src: filesPath(import.meta.url, 'pgbackrest-metrics'), dest: SCRIPT, owner: 'root', group: 'root', mode: '0755' },
        { register: 'pgbackrest_metrics_script' },
      ),
      task(
        'install the pgBackRest metrics service',
        copy,
        (v) => ({
          dest: '/etc/systemd/system/pgbackrest-metrics.service',
          owner: 'root',
          group: 'root',
          mode: '0644',
          content: pgbackrestMetricsUnit(dbsu(v)),
        }),
        { register: 'pgbackrest_metrics_service' },
      ),
      task(
        'install the pgBackRest metrics timer',
        copy,
        {
          src: filesPath(import.meta.url, 'pgbackrest-metrics.timer'),
          dest: '/etc/systemd/system/pgbackrest-metrics.timer',
          owner: 'root',
          group: 'root',
          mode: '0644',
        },
        { register: 'pgbackrest_metrics_timer' },
      ),
      task('launch the pgBackRest metrics timer', systemd, (v) => ({
        name: 'pgbackrest-metrics.timer',
        enabled: true,
        state: changed(v.pgbackrest_metrics_timer) ? ('restarted' as const) : ('started' as const),
        daemon_reload: changed(v.pgbackrest_metrics_service) || changed(v.pgbackrest_metrics_timer),
      })),
      task(
        'write the pgBackRest metrics now',
        systemd,
        { name: 'pgbackrest-metrics.service', state: 'restarted' },
        {
          when: (v) => changed(v.pgbackrest_metrics_script) || changed(v.pgbackrest_metrics_service),
        },
      ),
    ],
    { tags: ['pgbackrest_exporter'], when: (v) => v.pgbackrest_enabled && v.pgbackrest_exporter_enabled && v.node_exporter_enabled },
  ),
];
