import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { cron } from '../../../modules/cron.ts';
import type { RoleVars } from '../../vars.ts';
import { pgCrontabLines } from '../crontab-lines.ts';

const { task } = dsl<RoleVars>();

/** The dbsu's crontab [pg_crontab]: pg_crontab as a managed block of the dbsu's own crontab. */
export const crontabTasks = [
  // Only with entries: the cron daemon comes with the node role, and pgsql.ts alone may run where it is absent.
  task('write the dbsu crontab', cron, (v) => ({ name: 'pg_crontab', user: v.pg_dbsu, lines: pgCrontabLines(v) }), {
    tags: ['pg_crontab'],
    when: (v) => v.pg_crontab.length > 0,
  }),
] as TaskItem<RoleVars>[];
