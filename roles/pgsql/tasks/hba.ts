import { basename } from 'node:path';
import { shq } from '../../../engine/shell-quote.ts';
import { changed, dsl, type TaskItem } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { copy } from '../../../modules/copy.ts';
import { shell } from '../../../modules/shell.ts';
import { pendingReadTask, postgresReloadPending, reloadPending, stampCommand } from '../../reloads.ts';
import { hbaContent } from '../hba-rules.ts';
import { patroniConfPath } from '../patroni-conf.ts';
import { autoConf, controllerFile, dbsu, type PgVars } from '../paths.ts';
import { required } from '../required.ts';

const { task } = dsl<PgVars>();

/** pg_ctl reload of this instance: new HBA rules and reloadable parameters take effect without a restart. */
export const pgReloadArgs = (v: PgVars) => ({ argv: [`${v.pg_bin_dir}/pg_ctl`, '-D', v.pg_data, 'reload'] });

// [pg_hba], [pg_param] and [pg_file] as task factories: the primary's launch runs them too, under its own names and registers.

export const hbaTask = (name: string, register: string) =>
  task(name, copy, (v) => ({ dest: `${v.pg_data}/pg_hba.conf`, content: hbaContent(v), owner: dbsu(v), group: 'postgres', mode: '0600' }), {
    register,
  });

export const paramTask = (name: string, register: string) =>
  task(
    name,
    copy,
    (v) => ({ dest: `${v.pg_data}/postgresql.auto.conf`, content: autoConf(v.pg_parameters), owner: dbsu(v), group: 'postgres', mode: '0600' }),
    {
      register,
    },
  );

export const pgFilesTask = (name: string) =>
  task(
    name,
    copy,
    (v, path: string) => ({ src: controllerFile(path), dest: `${v.pg_data}/${basename(path)}`, owner: dbsu(v), group: 'postgres', mode: '0600' }),
    {
      loop: (v) => v.pg_files,
      when: (v) => v.pg_files.length > 0,
    },
  );

/** The files of pg_data the role writes and PostgreSQL rereads on a reload. */
const reloadedFiles = (v: PgVars): string[] => ['pg_hba.conf', 'postgresql.auto.conf'].map((f) => `${v.pg_data}/${f}`);

/** When the server last loaded its configuration, then the files' mtimes, for postgresReloadPending. */
const confLoadedScript = (v: PgVars): string =>
  `${shq(`${v.pg_bin_dir}/psql`)} -p ${v.pg_port} -d postgres -AXtqc 'SELECT extract(epoch FROM pg_conf_load_time())' && stat -c %.9Y ${reloadedFiles(v).map(shq).join(' ')}`;

/**
 * Reload when this run changed the rules or parameters, or the server runs on older files than these (a run that
 * wrote them ended before its reload); when none of those steps ran (`-t pg_reload` alone) reload anyway, which is
 * what asking for it means.
 */
const reloadPostgres = (v: PgVars): boolean =>
  v.pg_reload &&
  (changed(v.pg_hba_result) ||
    changed(v.pg_param_result) ||
    postgresReloadPending(String(v.pg_conf_loaded?.stdout ?? '')) ||
    (v.pg_hba_result === undefined && v.pg_param_result === undefined));

/** Same for Patroni and its config file (a stamp records its loads); a reload would start a Patroni that patroni_mode remove stopped. */
const reloadPatroni = (v: PgVars): boolean =>
  v.pg_reload && v.patroni_mode !== 'remove' && (v.pg_conf_result === undefined || changed(v.pg_conf_result) || reloadPending(v.pg_patroni_pending));

/** [pg_file], [pg_hba], [pg_param] on every member, then [pg_reload] and [patroni_reload] where something is not loaded yet. */
export const hbaTasks: TaskItem<PgVars>[] = [
  { ...pgFilesTask('copy extra files to pgdata'), tags: ['pg_file'] },
  { ...hbaTask('render postgres hba rules', 'pg_hba_result'), tags: ['pg_hba'] },
  { ...paramTask('overwrite postgres parameters', 'pg_param_result'), tags: ['pg_param'] },
  task('read when postgres loaded its config files', shell, (v) => ({ cmd: confLoadedScript(v) }), {
    become_user: (v) => dbsu(v),
    tags: ['pg_reload', 'pg_hba', 'pg_param'],
    register: 'pg_conf_loaded',
    check_mode: false,
    changed_when: () => false,
    // A server that is down has nothing a reload could give it; the reload step says so if it is asked for.
    failed_when: () => false,
    when: (v) => v.pg_reload,
  }),
  task('reload postgres config', command, pgReloadArgs, {
    become_user: (v) => dbsu(v),
    tags: ['pg_reload', 'pg_hba', 'pg_param'],
    when: reloadPostgres,
  }),
  pendingReadTask<PgVars>('find patroni config not loaded yet', 'patroni', (v) => [patroniConfPath(required(v, 'pg_instance'))], {
    tags: ['patroni_reload'],
    register: 'pg_patroni_pending',
    when: (v) => v.pg_reload && v.patroni_mode !== 'remove',
  }),
  task(
    'reload patroni config',
    shell,
    { cmd: `systemctl reload patroni && ${stampCommand('patroni')}` },
    { tags: ['patroni_reload'], when: reloadPatroni },
  ),
];
