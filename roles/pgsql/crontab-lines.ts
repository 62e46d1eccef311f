import type { RoleVars } from '../vars.ts';

/** The environment pg_crontab jobs run with: bash, the PostgreSQL and /pg/bin tools on PATH, no mail. */
export const PG_CRONTAB_ENV = ['SHELL=/bin/bash', 'PATH=/usr/pgsql/bin:/pg/bin:/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin', 'MAILTO=""'];

/** The dbsu crontab lines of pg_crontab (none: the block is removed). */
export const pgCrontabLines = (v: RoleVars): string[] => {
  return v.pg_crontab.length ? [...PG_CRONTAB_ENV, ...v.pg_crontab] : [];
};
