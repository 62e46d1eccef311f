import { changed, dsl, type TaskItem } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { systemd } from '../../../modules/systemd.ts';
import { param } from '../defaults.ts';
import { dbsu, type PgVars } from '../paths.ts';
import { hbaTask, paramTask, pgFilesTask, pgReloadArgs } from './launch.ts';

const { task } = dsl<PgVars>();

/**
 * Reload when this run changed the rules or parameters; when neither step ran (`-t pg_reload` alone) reload anyway,
 * which is what asking for it means.
 */
const reloadPostgres = (v: PgVars): boolean =>
  param(v, 'pg_reload') && (changed(v.pg_hba_result) || changed(v.pg_param_result) || (v.pg_hba_result === undefined && v.pg_param_result === undefined));

/** Same for Patroni and its config file; a reload would start a Patroni that patroni_mode remove stopped. */
const reloadPatroni = (v: PgVars): boolean =>
  param(v, 'pg_reload') && param(v, 'patroni_mode') !== 'remove' && (v.pg_conf_result === undefined || changed(v.pg_conf_result));

/** [pg_file], [pg_hba], [pg_param] on every member, then [pg_reload] and [patroni_reload] where something changed. */
export const hbaTaskList: TaskItem<PgVars>[] = [
  { ...pgFilesTask('copy extra files to pgdata'), tags: ['pg_file'] },
  { ...hbaTask('render postgres hba rules', 'pg_hba_result'), tags: ['pg_hba'] },
  { ...paramTask('overwrite postgres parameters', 'pg_param_result'), tags: ['pg_param'] },
  task('reload postgres config', command, pgReloadArgs, {
    become_user: (v) => dbsu(v),
    tags: ['pg_reload', 'pg_hba', 'pg_param'],
    when: reloadPostgres,
  }),
  task('reload patroni config', systemd, { name: 'patroni', state: 'reloaded' }, { tags: ['patroni_reload'], when: reloadPatroni }),
];
