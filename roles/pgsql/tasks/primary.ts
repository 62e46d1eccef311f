import { shq } from '../../../engine/shell-quote.ts';
import { basename } from 'node:path';
import { changed, dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { pgSql } from '../../../modules/pg-sql.ts';
import { setFact } from '../../../modules/set-fact.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { stampTask } from '../../reloads.ts';
import { renderHbaFile } from '../hba-rules.ts';
import { asDbsu, autoConf, controllerFile, dbsu, type PgVars } from '../paths.ts';
import { required } from '../required.ts';

const { task, include } = dsl<PgVars>();

const isPrimary = (v: PgVars): boolean => v.pg_role === 'primary';
const patronictl = (v: PgVars, ...args: string[]): string[] => ['patronictl', '-c', '/etc/patroni/patroni.yml', ...args];
/** The name patronictl knows the cluster by, with the Citus group when there is one. */
const patroniCluster = (v: PgVars): string[] =>
  v.pg_mode === 'citus' ? [required(v, 'pg_shard'), '--group', String(required(v, 'pg_group'))] : [required(v, 'pg_cluster')];

/**
 * Start a unit, reloading systemd first when this run wrote its file: a new file in /etc/systemd/system that
 * shadows the package's unit (Debian ships a patroni.service) is not flagged for reload by systemd itself.
 */
const launchArgs = (name: string) => (v: PgVars) => ({ name, state: 'started' as const, enabled: true, daemon_reload: changed(v.pg_units_result) });

/** pg_hba.conf of this instance: pg_default_hba_rules then pg_hba_rules, by order. */
export const hbaContent = (v: PgVars): string => renderHbaFile([...v.pg_default_hba_rules, ...v.pg_hba_rules], 'postgres', v);

/** pg_ctl reload of this instance: new HBA rules and reloadable parameters take effect without a restart. */
export const pgReloadArgs = (v: PgVars) => ({ argv: [`${v.pg_bin_dir}/pg_ctl`, '-D', v.pg_data, 'reload'] });

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
const readyTask = (name: string, retries: number) =>
  task(name, command, (v) => ({ argv: [`${v.pg_bin_dir}/pg_isready`, '-t', '5', '-p', String(v.pg_port)] }), {
    ...asDbsu,
    retries,
    delay: 5,
    until: (r) => r.rc === 0,
    check_mode: false,
    changed_when: () => false,
  });

export const hbaTask = (name: string, register: string) =>
  task(name, copy, (v) => ({ dest: `${v.pg_data}/pg_hba.conf`, content: hbaContent(v), owner: dbsu(v), group: 'postgres', mode: '0600' }), {
    register,
  });

export const paramTask = (name: string, register: string) =>
  task(name, copy, (v) => ({ dest: `${v.pg_data}/postgresql.auto.conf`, content: autoConf(v.pg_parameters), owner: dbsu(v), group: 'postgres', mode: '0600' }), {
    register,
  });

export const pgFilesTask = (name: string) =>
  task(name, copy, (v, path: string) => ({ src: controllerFile(path), dest: `${v.pg_data}/${basename(path)}`, owner: dbsu(v), group: 'postgres', mode: '0600' }), {
    loop: (v) => v.pg_files,
    when: (v) => v.pg_files.length > 0,
  });

const watchdogTasks = [
  task('grant the dbsu the watchdog device', file, (v) => ({ path: '/dev/watchdog', owner: dbsu(v), group: 'postgres' }), {
    tags: ['pg_watchdog'],
    ignore_errors: true,
    when: (v) => {
      const mode = v.patroni_watchdog_mode;
      return mode !== false && mode !== 'off';
    },
  }),
];

/** Start Patroni on the primary (it runs initdb), then put the HBA rules and parameters in place. */
const primaryTasks = [
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
  task('restart postgres via patroni', command, (v) => ({ argv: patronictl(v, 'restart', ...patroniCluster(v), required(v, 'pg_instance'), '--force') }), {
    ...asDbsu,
    tags: ['pg_restart'],
    when: (v) => changed(v.pg_primary_param),
    failed_when: (r) => r.rc !== 0 || /^Failed/m.test(String(r.stdout ?? '')),
  }),
  task('wait for postgres primary', waitFor, (v) => ({ host: v.inventory_hostname, port: v.pg_port, timeout: 60 }), { tags: ['pg_restart'] }),
  readyTask('check postgres primary ready again', 12),
  task('mark the primary ready', setFact, { pg_primary_state: 'ready' }),
];

/**
 * Replicas start only once the primary is up: the plays run linearly, so every primary finished the tasks above (and
 * pg_init) first. A primary that failed in this run stops its replicas here, as any_errors_fatal would.
 */
const replicaTasks = [
  task('check the primary launched', debug, (v) => ({ msg: `primary ${v.pg_primary_ins} at ${v.pg_primary_ip}: ${primaryState(v) ?? 'not launched in this run'}` }), {
    failed_when: (_r, v) => primaryState(v) !== undefined && primaryState(v) !== 'ready',
  }),
  // The password goes on stdin, never on a command line.
  task(
    'check replication connectivity',
    shell,
    (v) => ({
      cmd: `PGPASSWORD="$(cat)" ${shq(`${v.pg_bin_dir}/psql`)} -w -h ${shq(required(v, 'pg_primary_ip'))} -p ${v.pg_port} -U ${shq(v.pg_replication_username)} -d postgres -AXtc 'SELECT 1'`,
      stdin: v.pg_replication_password,
    }),
    { ...asDbsu, check_mode: false, changed_when: () => false },
  ),
  task('launch patroni replica', systemd, launchArgs('patroni'), { register: 'pg_replica_launch' }),
  stampTask<PgVars>('record that the patroni replica loaded its config', 'patroni', { when: (v) => changed(v.pg_replica_launch) }),
  task('wait for patroni replica', waitFor, (v) => ({ host: v.inventory_hostname, port: v.patroni_port, timeout: 30 })),
  // Cloning a big primary takes as long as it takes.
  task('wait for postgres replica', waitFor, (v) => ({ host: v.inventory_hostname, port: v.pg_port, timeout: 86400 })),
  readyTask('check postgres replica ready', 6),
  task('wait for the replica to stream', pgSql, (v) => ({ sql: 'SELECT status FROM pg_stat_wal_receiver', port: v.pg_port, readonly: true }), {
    ...asDbsu,
    retries: 60,
    delay: 2,
    until: (r) => (r.rows as { status?: string }[] | undefined)?.[0]?.status === 'streaming',
  }),
];

const primaryState = (v: PgVars): string | undefined => (v.hostvars[required(v, 'pg_primary_ip')] as PgVars | undefined)?.pg_primary_state;

/** Patroni's working mode: pause hands the cluster to the operator, remove leaves PostgreSQL running without Patroni. */
const patroniModeTasks = [
  task('read whether patroni is paused', command, (v) => ({ argv: patronictl(v, 'show-config', ...patroniCluster(v)) }), {
    ...asDbsu,
    register: 'pg_patroni_paused',
    check_mode: false,
    changed_when: () => false,
    ignore_errors: true,
    when: (v) => v.patroni_mode === 'pause' && isPrimary(v),
  }),
  task('pause patroni', command, (v) => ({ argv: patronictl(v, 'pause', ...patroniCluster(v), '--wait') }), {
    ...asDbsu,
    ignore_errors: true,
    when: (v) => v.patroni_mode === 'pause' && isPrimary(v) && !/^pause:\s*true/m.test(String(v.pg_patroni_paused?.stdout ?? '')),
  }),
  task('stop patroni on replicas', systemd, { name: 'patroni', state: 'stopped', enabled: false }, {
    when: (v) => v.patroni_mode === 'remove' && !isPrimary(v),
  }),
  task('stop patroni on the primary', systemd, { name: 'patroni', state: 'stopped', enabled: false }, {
    when: (v) => v.patroni_mode === 'remove' && isPrimary(v),
  }),
  task('launch raw postgres primary', systemd, launchArgs('postgres'), {
    when: (v) => v.patroni_mode === 'remove' && isPrimary(v),
  }),
  task('launch raw postgres replicas', systemd, launchArgs('postgres'), {
    when: (v) => v.patroni_mode === 'remove' && !isPrimary(v),
  }),
  task('wait for raw postgres', waitFor, (v) => ({ host: v.inventory_hostname, port: v.pg_port, timeout: 60 }), {
    when: (v) => v.patroni_mode === 'remove',
  }),
];

/** [pg_watchdog] then [pg_primary]: the primary's Patroni, initdb, HBA and parameters. */
export const launchPrimaryTasks: TaskItem<PgVars>[] = [
  ...watchdogTasks,
  include('launch patroni primary', primaryTasks, { tags: ['pg_primary'], when: isPrimary }),
];

/** [pg_replica]: every other member clones the primary through Patroni and streams from it. */
export const launchReplicaTasks: TaskItem<PgVars>[] = [include('launch patroni replicas', replicaTasks, { tags: ['pg_replica'], when: (v) => !isPrimary(v) })];

/** [pg_patroni]: patroni_mode pause or remove. */
export const patroniModeTaskList: TaskItem<PgVars>[] = [include('patroni mode', patroniModeTasks, { tags: ['pg_patroni'] })];
