import { dsl } from '../../engine/dsl.ts';
import type { RemoveVars } from './removal.ts';
import { accessTasks } from './tasks/access.ts';
import { backupTasks } from './tasks/backup.ts';
import { crontabTasks } from './tasks/crontab.ts';
import { dataTasks } from './tasks/data.ts';
import { dnsTasks } from './tasks/dns.ts';
import { monitorTasks } from './tasks/monitor.ts';
import { pkgTasks } from './tasks/pkg.ts';
import { postgresTasks } from './tasks/postgres.ts';
import { safeguardTasks } from './tasks/safeguard.ts';

const { role } = dsl<RemoveVars>();

/**
 * pg_remove (pgsql-rm): honour pg_safeguard, take the cluster out of its access paths (vip-manager,
 * haproxy services, pgbouncer), drop the dbsu crontab, stop replicas then the primary and clear the cluster
 * from etcd, delete the backup stanza and repository (pg_rm_backup), the data (pg_rm_data) and the packages
 * (pg_rm_pkg). Its targets leave the infra hosts first, and its exporters stop before PostgreSQL.
 */
export const pgRemove = role({
  name: 'pg_remove',
  tasks: [
    ...safeguardTasks,
    ...monitorTasks,
    ...accessTasks,
    ...dnsTasks,
    ...crontabTasks,
    ...postgresTasks,
    ...backupTasks,
    ...dataTasks,
    ...pkgTasks,
  ],
});
