import { dsl, type TaskItem } from '../../engine/dsl.ts';
import type { PgVars } from './paths.ts';
import { accessTasks } from './tasks/access.ts';
import { backupTasks } from './tasks/backup.ts';
import { certTasks } from './tasks/cert.ts';
import { configTasks } from './tasks/config.ts';
import { crontabTasks } from './tasks/crontab.ts';
import { hbaTasks } from './tasks/hba.ts';
import { initTasks } from './tasks/init.ts';
import { installTasks } from './tasks/install.ts';
import { patroniModeTasks } from './tasks/patroni-mode.ts';
import { primaryTasks } from './tasks/primary.ts';
import { provisionTasks } from './tasks/provision.ts';
import { replicaTasks } from './tasks/replica.ts';
import { watchdogTasks } from './tasks/watchdog.ts';

const { include, role } = dsl<PgVars>();

const bootstrap = ['pg_bootstrap', 'postgres', 'patroni'];

/** Pigsty's pgsql role: install, configure, certify and launch a Patroni-managed cluster, then provision, back up and serve it. */
export const pgsql = role({
  name: 'pgsql',
  tasks: [
    ...installTasks,
    include('config', configTasks, { tags: [...bootstrap, 'pg_config'], when: (v) => v.patroni_enabled }),
    include('cert', certTasks, { tags: [...bootstrap, 'pg_cert'] }),
    include('launch', [...watchdogTasks, ...primaryTasks, ...initTasks, ...replicaTasks, ...hbaTasks, ...patroniModeTasks], {
      tags: [...bootstrap, 'pg_launch'],
      when: (v) => v.patroni_enabled,
    }),
    ...([...provisionTasks, ...backupTasks, ...crontabTasks, ...accessTasks] as TaskItem<PgVars>[]),
  ],
});
