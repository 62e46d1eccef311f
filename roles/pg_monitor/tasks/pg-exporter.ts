import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import { pkg } from '../../../modules/package.ts';
import { launchServiceTasks } from '../../service-launch.ts';
import { dropInPath, dropInTasks } from '../../systemd-dropin.ts';
import { PG_EXPORTER_ENV, PG_EXPORTER_QUERIES, pgExporterEnv } from '../exporter-env.ts';
import type { RoleVars } from '../../vars.ts';
import type { PgMonitorRegisters, PgMonitorVars } from '../pg-monitor-vars.ts';

const { task, include } = dsl<PgMonitorVars>();

const UNIT = 'prometheus-postgres-exporter';
const DROPIN = dropInPath(UNIT);

/** The queries file, readable by the exporters' user: written by pg_monitor, and by pg_exporters on the infra hosts. */
export const queriesTasks = (tags: string[], register: string): TaskItem<RoleVars>[] => {
  const { task } = dsl<RoleVars>();
  return [
    task(
      'create the postgres_exporter queries directory',
      file,
      { path: '/etc/prometheus-postgres-exporter', state: 'directory', owner: 'root', group: 'prometheus', mode: '0750' },
      { tags },
    ),
    task(
      'write the postgres_exporter queries',
      copy,
      (v) => ({
        src: filesPath(import.meta.url, v.pg_exporter_config),
        dest: PG_EXPORTER_QUERIES,
        owner: 'root',
        group: 'prometheus',
        mode: '0640',
      }),
      { tags, register },
    ),
  ];
};

/**
 * [pg_exporter]: Debian's postgres_exporter in place of Pigsty's pg_exporter, on pg_exporter_port, connected as the
 * monitor user through the local socket, with our queries for the metric names Pigsty's rules read.
 */
export const pgExporterTasks = [
  include(
    'pg_exporter',
    [
      task('install postgres_exporter', pkg, { name: UNIT }),
      ...dropInTasks<PgMonitorVars>({
        path: DROPIN,
        what: 'postgres_exporter',
        name: 'restart postgres_exporter when it exits',
        source: { src: filesPath(import.meta.url, 'postgres-exporter.conf') },
        tags: ['pg_exporter_config'],
        register: 'pg_exporter_dropin',
      }),
      // systemd reads the file as root before it drops to the prometheus user: the password is in no file another user can read;
      // it is in the exporter's environment, which other processes of the prometheus user can read, as Pigsty's exporters have it.
      task(
        'configure postgres_exporter',
        copy,
        (v) => ({ dest: PG_EXPORTER_ENV, owner: 'root', group: 'root', mode: '0600', content: pgExporterEnv(v) }),
        { tags: ['pg_exporter_config'], register: 'pg_exporter_env' },
      ),
      ...(queriesTasks(['pg_exporter_config'], 'pg_exporter_queries') as TaskItem<PgMonitorVars>[]),
      ...launchServiceTasks<PgMonitorVars, keyof PgMonitorRegisters>({
        unit: UNIT,
        tags: ['pg_exporter_launch'],
        restartFiles: () => [DROPIN, PG_EXPORTER_ENV, PG_EXPORTER_QUERIES],
        restartOn: ['pg_exporter_dropin', 'pg_exporter_env', 'pg_exporter_queries'],
        unitChanged: ['pg_exporter_dropin'],
        pending: 'pg_exporter_pending',
        launch: 'pg_exporter_launch',
        port: (v) => v.pg_exporter_port,
      }),
    ],
    { tags: ['pg_exporter'], when: (v) => v.pg_exporter_enabled },
  ),
];
