import { changed, dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { file } from '../../../modules/file.ts';
import { setFact } from '../../../modules/set-fact.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { stampTask } from '../../reloads.ts';
import { isPrimary, launchArgs, patroniCluster, patronictl } from '../patroni-commands.ts';
import { asDbsu, type PgVars } from '../paths.ts';
import { required } from '../required.ts';
import { hbaTask, paramTask, pgFilesTask, pgReloadArgs } from './hba.ts';

const { task, include } = dsl<PgVars>();

/** Whether `patronictl list -f json` shows this host as the running leader. */
function leads(r: TaskResult, v: PgVars): boolean {
  try {
    const members = JSON.parse(String(r.stdout ?? '')) as { Host?: string; Role?: string; State?: string }[];
    return members.some((m) => m.Host === v.inventory_hostname && m.Role === 'Leader' && m.State === 'running');
  } catch {
    return false;
  }
}

/** Wait until PostgreSQL answers on its socket. */
export const readyTask = (name: string, retries: number) =>
  task(name, command, (v) => ({ argv: [`${v.pg_bin_dir}/pg_isready`, '-t', '5', '-p', String(v.pg_port)] }), {
    ...asDbsu,
    retries,
    delay: 5,
    until: (r) => r.rc === 0,
    check_mode: false,
    changed_when: () => false,
  });

/** Start Patroni on the primary (it runs initdb), then put the HBA rules and parameters in place. */
const primarySteps = [
  task('mark the primary launching', setFact, { pg_primary_state: 'launching' }),
  task('launch patroni primary', systemd, launchArgs('patroni'), { register: 'pg_primary_launch' }),
  stampTask<PgVars>('record that patroni loaded its config', 'patroni', { when: (v) => changed(v.pg_primary_launch) }),
  task('wait for patroni primary', waitFor, (v) => ({ host: v.inventory_hostname, port: v.patroni_port, timeout: 60 })),
  readyTask('check postgres primary ready', 6),
  // Patroni's copies of the files initdb made only mislead; it keeps fresh ones of the running files later.
  task('remove postgres backup conf', file, (v, name: string) => ({ path: `${v.pg_data}/${name}`, state: 'absent' as const }), {
    loop: ['postgresql.conf.backup', 'postgresql.base.conf.backup', 'pg_hba.conf.backup', 'pg_ident.conf.backup'],
    ignore_errors: true,
    when: (v) => changed(v.pg_primary_launch),
  }),
  hbaTask('render postgres hba rules', 'pg_primary_hba'),
  pgFilesTask('copy extra files to postgres primary'),
  paramTask('overwrite postgres primary parameters', 'pg_primary_param'),
  // Patroni refuses a restart (503, yet patronictl exits 0) until its bootstrap is over and it holds the leader key.
  task('wait for patroni to lead the cluster', command, (v) => ({ argv: patronictl(v, 'list', ...patroniCluster(v), '-f', 'json') }), {
    ...asDbsu,
    tags: ['pg_restart'],
    when: (v) => changed(v.pg_primary_hba) || changed(v.pg_primary_param),
    retries: 30,
    delay: 2,
    until: (r, v) => leads(r, v),
    check_mode: false,
    changed_when: () => false,
  }),
  // New rules need only a reload; a restart makes restart-only parameters take effect (and loads the rules too).
  task('reload postgres hba rules', command, pgReloadArgs, {
    ...asDbsu,
    tags: ['pg_restart'],
    when: (v) => changed(v.pg_primary_hba) && !changed(v.pg_primary_param),
  }),
  task(
    'restart postgres via patroni',
    command,
    (v) => ({ argv: patronictl(v, 'restart', ...patroniCluster(v), required(v, 'pg_instance'), '--force') }),
    {
      ...asDbsu,
      tags: ['pg_restart'],
      when: (v) => changed(v.pg_primary_param),
      failed_when: (r) => r.rc !== 0 || /^Failed/m.test(String(r.stdout ?? '')),
    },
  ),
  task('wait for postgres primary', waitFor, (v) => ({ host: v.inventory_hostname, port: v.pg_port, timeout: 60 }), { tags: ['pg_restart'] }),
  readyTask('check postgres primary ready again', 12),
  task('mark the primary ready', setFact, { pg_primary_state: 'ready' }),
];

/** [pg_primary]: the primary's Patroni, initdb, HBA and parameters. */
export const primaryTasks: TaskItem<PgVars>[] = [include('launch patroni primary', primarySteps, { tags: ['pg_primary'], when: isPrimary })];
