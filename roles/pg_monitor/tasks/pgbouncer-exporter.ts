import { dsl } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { pkg } from '../../../modules/package.ts';
import { launchServiceTasks } from '../../service-launch.ts';
import { dropInPath, dropInTasks } from '../../systemd-dropin.ts';
import { PGBOUNCER_EXPORTER_ENV, PGBOUNCER_EXPORTER_SCRIPT, pgbouncerExporterEnv } from '../exporter-env.ts';
import { helperDirTask } from '../../helper-dir.ts';
import type { PgMonitorRegisters, PgMonitorVars } from '../pg-monitor-vars.ts';

const { task, include } = dsl<PgMonitorVars>();

const UNIT = 'prometheus-pgbouncer-exporter';
const DROPIN = dropInPath(UNIT);

/**
 * [pgbouncer_exporter]: Debian's pgbouncer exporter on pgbouncer_exporter_port, run through our launcher so that it
 * reads pgbouncer 1.18's statistics and reconnects. Bound to pgbouncer's unit: a stopped pgbouncer is a down target.
 */
export const pgbouncerExporterTasks = [
  include(
    'pgbouncer_exporter',
    [
      task('install the pgbouncer exporter', pkg, { name: UNIT }),
      helperDirTask<PgMonitorVars>(['pgbouncer_exporter_config']),
      task(
        'write the pgbouncer exporter launcher',
        copy,
        { src: filesPath(import.meta.url, 'pgbouncer_exporter.py'), dest: PGBOUNCER_EXPORTER_SCRIPT, owner: 'root', group: 'root', mode: '0644' },
        { tags: ['pgbouncer_exporter_config'], register: 'pgbouncer_exporter_script' },
      ),
      ...dropInTasks<PgMonitorVars>({
        path: DROPIN,
        what: 'pgbouncer exporter',
        name: 'run the pgbouncer exporter through the launcher',
        source: { src: filesPath(import.meta.url, 'pgbouncer-exporter.conf') },
        tags: ['pgbouncer_exporter_config'],
        register: 'pgbouncer_exporter_dropin',
      }),
      // systemd reads the file as root before it drops to the prometheus user: the password is in no file another user can read;
      // it is in the exporter's environment, which other processes of the prometheus user can read, as Pigsty's exporters have it.
      task(
        'configure the pgbouncer exporter',
        copy,
        (v) => ({ dest: PGBOUNCER_EXPORTER_ENV, owner: 'root', group: 'root', mode: '0600', content: pgbouncerExporterEnv(v) }),
        { tags: ['pgbouncer_exporter_config'], register: 'pgbouncer_exporter_env' },
      ),
      ...launchServiceTasks<PgMonitorVars, keyof PgMonitorRegisters>({
        unit: UNIT,
        tags: ['pgbouncer_exporter_launch'],
        restartFiles: () => [PGBOUNCER_EXPORTER_SCRIPT, DROPIN, PGBOUNCER_EXPORTER_ENV],
        restartOn: ['pgbouncer_exporter_script', 'pgbouncer_exporter_dropin', 'pgbouncer_exporter_env'],
        unitChanged: ['pgbouncer_exporter_dropin'],
        pending: 'pgbouncer_exporter_pending',
        launch: 'pgbouncer_exporter_launch',
        port: (v) => v.pgbouncer_exporter_port,
      }),
    ],
    { tags: ['pgbouncer_exporter'], when: (v) => v.pgbouncer_enabled && v.pgbouncer_exporter_enabled },
  ),
];
