import { changed, dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { pgSql } from '../../../modules/pg-sql.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { template, templatePath } from '../../../modules/template.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { pendingAmong, pendingReadTask, reloadPending, stampCommand, stampTask } from '../../reloads.ts';
import type { RoleVars } from '../../vars.ts';
import { renderHbaFile } from '../hba-rules.ts';
import { dbsu } from '../paths.ts';
import {
  missingUsers,
  PGBOUNCER_RELOAD_FILES,
  PGBOUNCER_RESTART_FILES,
  PGBOUNCER_UNIT,
  pgbouncerTemplateVars,
  renderUserlist,
  userlistNames,
  userlistQuery,
} from '../pgbouncer-files.ts';

/** Results the pgbouncer steps register and read back (undefined when the step did not run, e.g. filtered by tags). */
export type PgbouncerStepVars = RoleVars & {
  pgb_unit?: TaskResult;
  pgb_ini?: TaskResult;
  pgb_lists?: TaskResult;
  pgb_hba?: TaskResult;
  pgb_secrets?: TaskResult;
  pgb_userlist?: TaskResult;
  pgb_started?: TaskResult;
  pgb_restarted?: TaskResult;
  pgb_pending?: TaskResult;
};

const { task } = dsl<PgbouncerStepVars>();

/** /etc/pgbouncer/userlist.txt content from the secrets read in pg_authid. */
function userlistContent(v: PgbouncerStepVars): string {
  const { dbsu: su, users } = userlistNames(v);
  const rows = (v.pgb_secrets?.rows ?? []) as { rolname: string | null; rolpassword: string | null }[];
  return renderUserlist(su, users, rows);
}

/** The database and user option files of pgbouncer; pgsql-user / pgsql-db rewrite them with the same templates. */
export const pgbouncerListFiles = [
  { src: 'pgb-database.hbs', dest: '/etc/pgbouncer/database.txt' },
  { src: 'pgb-useropts.hbs', dest: '/etc/pgbouncer/useropts.txt' },
].map((f) => ({ ...f, src: templatePath(import.meta.url, f.src) }));

/** Write database.txt and useropts.txt (tags are the caller's). */
export const pgbouncerListTask = (tags: string[], register = 'pgb_lists') =>
  task(
    'write pgbouncer database list and user options',
    template,
    (v, item: { src: string; dest: string }) => ({
      src: item.src,
      dest: item.dest,
      owner: dbsu(v),
      group: 'postgres',
      mode: '0600',
      vars: { pgb: pgbouncerTemplateVars(v) },
    }),
    { tags, loop: pgbouncerListFiles, register },
  );

/** Read the stored secrets of the userlist's users as the dbsu (never logged). */
export const pgbouncerSecretsTask = (tags: string[]) =>
  task(
    'read pgbouncer user secrets from pg_authid',
    pgSql,
    (v) => ({ sql: userlistQuery(userlistNames(v).users), readonly: true, port: v.pg_port }),
    { tags, become_user: dbsu, no_log: true, register: 'pgb_secrets' },
  );

/** Say which userlist users PostgreSQL does not have: pgbouncer cannot let them in. */
export const pgbouncerMissingTask = (tags: string[]) =>
  task(
    'report pgbouncer users missing from postgres',
    debug,
    (v) => ({
      msg: `not in the userlist, no such role in postgres yet: ${missingUsers(userlistNames(v).users, (v.pgb_secrets?.rows ?? []) as { rolname: string }[]).join(', ')}`,
    }),
    {
      tags,
      when: (v) => v.pgb_secrets?.rows !== undefined && missingUsers(userlistNames(v).users, v.pgb_secrets.rows as { rolname: string }[]).length > 0,
    },
  );

/** Write userlist.txt from the secrets read (never logged: it holds them). */
export const pgbouncerUserlistTask = (tags: string[]) =>
  task(
    'write pgbouncer userlist',
    copy,
    (v) => ({ dest: '/etc/pgbouncer/userlist.txt', content: userlistContent(v), owner: dbsu(v), group: 'postgres', mode: '0600' }),
    { tags, no_log: true, register: 'pgb_userlist', when: (v) => v.pgb_secrets?.rows !== undefined },
  );

/**
 * Reload pgbouncer when one of the files it rereads on SIGHUP changed, in this run or in one that ended before its
 * reload (pgb_pending), and it was not (re)started just now; the stamp records that it loaded them.
 */
export const pgbouncerReloadTask = (tags: string[]) =>
  task(
    'reload pgbouncer',
    shell,
    { cmd: `systemctl reload-or-restart pgbouncer && ${stampCommand('pgbouncer')}` },
    {
      tags,
      when: (v) =>
        v.pg_reload &&
        ([v.pgb_lists, v.pgb_hba, v.pgb_userlist].some(changed) || reloadPending(v.pgb_pending)) &&
        !changed(v.pgb_started) &&
        !changed(v.pgb_restarted),
    },
  );

export const pgbouncerTasks: TaskItem<PgbouncerStepVars>[] = [
  task(
    'create pgbouncer directories',
    file,
    (v, d: { path: string; mode: string }) => ({ path: d.path, state: 'directory' as const, owner: dbsu(v), group: 'postgres', mode: d.mode }),
    {
      tags: ['pgbouncer_dir'],
      // The modes the core's pg_dir step gives them too, so the two steps never undo each other.
      loop: (v) => [
        { path: '/etc/pgbouncer', mode: '0700' },
        { path: v.pgbouncer_log_dir, mode: '0750' },
      ],
    },
  ),
  task(
    'write pgbouncer unit',
    template,
    (v) => ({
      src: templatePath(import.meta.url, 'pgb-unit.hbs'),
      dest: PGBOUNCER_UNIT,
      owner: 'root',
      group: 'root',
      mode: '0644',
      vars: { pgb: pgbouncerTemplateVars(v) },
    }),
    { tags: ['pgbouncer_config'], register: 'pgb_unit' },
  ),
  task(
    'write pgbouncer.ini',
    template,
    (v) => ({
      src: templatePath(import.meta.url, 'pgb-ini.hbs'),
      dest: '/etc/pgbouncer/pgbouncer.ini',
      owner: dbsu(v),
      group: 'postgres',
      mode: '0640',
      vars: { pgb: pgbouncerTemplateVars(v) },
    }),
    { tags: ['pgbouncer_config'], register: 'pgb_ini' },
  ),
  pgbouncerListTask(['pgbouncer_config']),
  task(
    'write pgbouncer hba rules',
    copy,
    (v) => ({
      dest: '/etc/pgbouncer/pgb_hba.conf',
      content: renderHbaFile([...v.pgb_default_hba_rules, ...v.pgb_hba_rules], 'pgbouncer', v),
      owner: dbsu(v),
      group: 'postgres',
      mode: '0600',
    }),
    { tags: ['pgbouncer_config', 'pgbouncer_hba'], register: 'pgb_hba' },
  ),
  pgbouncerSecretsTask(['pgbouncer_config', 'pgbouncer_user']),
  pgbouncerMissingTask(['pgbouncer_config', 'pgbouncer_user']),
  pgbouncerUserlistTask(['pgbouncer_config', 'pgbouncer_user']),
  pendingReadTask<PgbouncerStepVars>(
    'find pgbouncer files not loaded yet',
    'pgbouncer',
    () => [...PGBOUNCER_RESTART_FILES, ...PGBOUNCER_RELOAD_FILES],
    {
      tags: ['pgbouncer_config', 'pgbouncer_hba', 'pgbouncer_user', 'pgbouncer_launch', 'pgbouncer_restart', 'pgbouncer_reload'],
      register: 'pgb_pending',
    },
  ),
  task('launch pgbouncer', systemd, { name: 'pgbouncer', state: 'started', enabled: true }, { tags: ['pgbouncer_launch'], register: 'pgb_started' }),
  task(
    'restart pgbouncer on a new unit or pgbouncer.ini',
    systemd,
    { name: 'pgbouncer', state: 'restarted' },
    {
      tags: ['pgbouncer_launch', 'pgbouncer_restart'],
      register: 'pgb_restarted',
      when: (v) => (changed(v.pgb_unit) || changed(v.pgb_ini) || pendingAmong(v.pgb_pending, PGBOUNCER_RESTART_FILES)) && !changed(v.pgb_started),
    },
  ),
  stampTask<PgbouncerStepVars>('record that pgbouncer loaded its files', 'pgbouncer', {
    tags: ['pgbouncer_launch', 'pgbouncer_restart'],
    when: (v) => changed(v.pgb_started) || changed(v.pgb_restarted),
  }),
  task('wait for pgbouncer', waitFor, (v) => ({ host: '127.0.0.1', port: v.pgbouncer_port, timeout: 10 }), { tags: ['pgbouncer_launch'] }),
  pgbouncerReloadTask(['pgbouncer_reload', 'pgbouncer_config', 'pgbouncer_hba', 'pgbouncer_user']),
];
