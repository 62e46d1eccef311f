import { dsl, type TaskItem } from '../../engine/dsl.ts';
import { pgAccess } from './tasks/access.ts';
import { pgBackup } from './tasks/backup.ts';
import { pgCrontab } from './tasks/crontab.ts';
import type { PgVars } from './paths.ts';
import { certTasks } from './tasks/cert.ts';
import { configTasks } from './tasks/config.ts';
import { hbaTaskList } from './tasks/hba.ts';
import { initTaskList } from './tasks/init.ts';
import { installTasks } from './tasks/install.ts';
import { launchPrimaryTasks, launchReplicaTasks, patroniModeTaskList } from './tasks/primary.ts';
import { pgProvision } from './tasks/provision.ts';

const { include, role } = dsl<PgVars>();

const patroniEnabled = (v: PgVars): boolean => v.patroni_enabled !== false;
const bootstrap = ['pg_bootstrap', 'postgres', 'patroni'];

/** Pigsty's pgsql role: install, configure, certify and launch a Patroni-managed cluster, then provision, back up and serve it. */
export const pgsql = role({
  name: 'pgsql',
  tasks: [
    ...installTasks,
    include('config', configTasks, { tags: [...bootstrap, 'pg_config'], when: patroniEnabled }),
    include('cert', certTasks, { tags: [...bootstrap, 'pg_cert'] }),
    include('launch', [...launchPrimaryTasks, ...initTaskList, ...launchReplicaTasks, ...hbaTaskList, ...patroniModeTaskList], {
      tags: [...bootstrap, 'pg_launch'],
      when: patroniEnabled,
    }),
    ...([...pgProvision, ...pgBackup, ...pgCrontab, ...pgAccess] as TaskItem<PgVars>[]),
  ],
});
