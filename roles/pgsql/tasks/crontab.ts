import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { cron } from '../../../modules/cron.ts';
import type { RoleVars } from '../../vars.ts';

const { task } = dsl<RoleVars>();

/** The environment pg_crontab jobs run with: bash, the PostgreSQL and /pg/bin tools on PATH, no mail. */
export const PG_CRONTAB_ENV = ['SHELL=/bin/bash', 'PATH=/usr/pgsql/bin:/pg/bin:/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin', 'MAILTO=""'];

/** The dbsu crontab lines of pg_crontab (none: the block is removed). */
export const pgCrontabLines = (v: RoleVars): string[] => {
  return v.pg_crontab.length ? [...PG_CRONTAB_ENV, ...v.pg_crontab] : [];
};

/** The dbsu's crontab [pg_crontab]: pg_crontab as a managed block of the dbsu's own crontab. */
export const pgCrontab = [
  // Only with entries: the cron daemon comes with the node role, and pgsql.ts alone may run where it is absent.
  task('write the dbsu crontab', cron, (v) => ({ name: 'pg_crontab', user: v.pg_dbsu, lines: pgCrontabLines(v) }), {
    tags: ['pg_crontab'],
    when: (v) => v.pg_crontab.length > 0,
  }),
] as TaskItem<RoleVars>[];
