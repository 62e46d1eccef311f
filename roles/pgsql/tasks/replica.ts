import { shq } from '../../../engine/shell-quote.ts';
import { changed, dsl, type TaskItem } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { pgSql } from '../../../modules/pg-sql.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { stampTask } from '../../reloads.ts';
import { isPrimary, launchArgs } from '../patroni-commands.ts';
import { asDbsu, type PgVars } from '../paths.ts';
import { required } from '../required.ts';
import { readyTask } from './primary.ts';

const { task, include } = dsl<PgVars>();

/**
 * Replicas start only once the primary is up: the plays run linearly, so every primary finished [pg_primary] (and
 * pg_init) first. A primary that failed in this run stops its replicas here, as any_errors_fatal would.
 */
const replicaSteps = [
  task(
    'check the primary launched',
    debug,
    (v) => ({ msg: `primary ${v.pg_primary_ins} at ${v.pg_primary_ip}: ${primaryState(v) ?? 'not launched in this run'}` }),
    {
      failed_when: (_r, v) => primaryState(v) !== undefined && primaryState(v) !== 'ready',
    },
  ),
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

/** [pg_replica]: every other member clones the primary through Patroni and streams from it. */
export const replicaTasks: TaskItem<PgVars>[] = [
  include('launch patroni replicas', replicaSteps, { tags: ['pg_replica'], when: (v) => !isPrimary(v) }),
];
