import type { TaskResult } from '../../engine/dsl.ts';
import { PGBACKREST_OPTION, SINGLE_LINE } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { required } from './required.ts';

/** The variables pgBackRest's configuration and steps depend on (a subset of RoleVars, so tests can build them by hand). */
export type PgbackrestVars = Pick<
  RoleVars,
  'pg_cluster' | 'pg_role' | 'pg_upstream' | 'pgbackrest_method' | 'pgbackrest_repo' | 'pgbackrest_init_backup'
>;

/** Where pgBackRest is configured; the core's Patroni template and the restore tooling read the same file. */
export const PGBACKREST_CONF = '/etc/pgbackrest/pgbackrest.conf';
/** Written after the first full backup, so later runs do not take another one. */
export const PGBACKREST_INITIAL_MARKER = '/etc/pgbackrest/initial.done';

/** The repository in use: pgbackrest_repo[pgbackrest_method]; an unknown method is an error naming the known ones. */
export function selectedRepo(v: PgbackrestVars): Record<string, string | number | boolean> {
  const method = v.pgbackrest_method;
  const repos = v.pgbackrest_repo;
  const repo = repos[method];
  if (!repo) throw new Error(`pgbackrest_method ${method} is not a key of pgbackrest_repo (${Object.keys(repos).join(', ') || 'empty'})`);
  return repo;
}

/**
 * The repo1-* options of the selected repository: each key with _ turned into -, ${pg_cluster} in values
 * replaced by the cluster name, booleans written as pgBackRest's y/n.
 */
export function repoOptions(v: PgbackrestVars): string[] {
  const cluster = required(v, 'pg_cluster');
  return Object.entries(selectedRepo(v)).map(([key, value]) => {
    // The schema checks these too; checked again where they are written, since a key or value that could end its
    // line would add options or a [section] to pgbackrest.conf.
    if (!OPTION.test(key))
      throw new Error(`pgbackrest_repo: ${JSON.stringify(key)} is not a pgBackRest option name (lowercase letters, digits, _ and -)`);
    const text = typeof value === 'boolean' ? (value ? 'y' : 'n') : String(value);
    if (!LINE.test(text)) throw new Error(`pgbackrest_repo: the value of ${key} is not a single line`);
    return `repo1-${key.replace(/_/g, '-')}=${text.split('${pg_cluster}').join(cluster)}`;
  });
}

const OPTION = new RegExp(PGBACKREST_OPTION);
const LINE = new RegExp(SINGLE_LINE);

/** Whether the repository options carry a secret (S3 keys, cipher passphrases), so the config task hides its diff. */
export function repoHasSecret(v: PgbackrestVars): boolean {
  return Object.keys(selectedRepo(v)).some((k) => /secret|pass|key/i.test(k));
}

/** The local (POSIX) repository's directory, when the selected repository is one. */
export function localRepoPath(v: PgbackrestVars): string | undefined {
  const repo = selectedRepo(v);
  if (repo.type !== undefined && repo.type !== 'posix') return undefined;
  return typeof repo.path === 'string' ? repo.path : '/var/lib/pgbackrest';
}

/**
 * Who creates the stanza: every member with a local repository (each host has its own), else only the
 * primary of a cluster that is not a standby cluster (a shared remote repository).
 */
export function stanzaInitWanted(v: PgbackrestVars): boolean {
  return v.pgbackrest_method === 'local' || (v.pg_role === 'primary' && !v.pg_upstream);
}

/** The first full backup is taken once, on the primary of a cluster that is not a standby cluster. */
export function initialBackupWanted(v: PgbackrestVars): boolean {
  return v.pgbackrest_init_backup && v.pg_role === 'primary' && !v.pg_upstream;
}

/**
 * The commands the core's Patroni configuration wires pgBackRest in with: WAL archiving, WAL fetching on
 * recovery, and the replica creation method when replicas restore from the repository.
 */
export function pgbackrestCommands(cluster: string): { archive_command: string; restore_command: string; create_replica: string } {
  return {
    archive_command: `pgbackrest --stanza=${cluster} archive-push %p`,
    restore_command: `pgbackrest --stanza=${cluster} archive-get %f "%p"`,
    create_replica: `/usr/bin/pgbackrest --stanza=${cluster} --delta restore`,
  };
}

/**
 * The archive_command, restore_command and pgBackRest replica method for the core's Patroni configuration
 * (postgresql.parameters and the create_replica_methods), for a cluster.
 */
export const pgArchiveCommands = (v: Pick<RoleVars, 'pg_cluster'>) => pgbackrestCommands(required(v, 'pg_cluster'));

/** The values pgbackrest-conf.hbs prints (under `pgbr`). */
export function pgbackrestTemplateVars(v: RoleVars) {
  return {
    cluster: required(v, 'pg_cluster'),
    instance: required(v, 'pg_instance'),
    role: required(v, 'pg_role'),
    method: v.pgbackrest_method,
    repo: repoOptions(v),
    log_dir: v.pgbackrest_log_dir,
    data: v.pg_data,
    port: v.pg_port,
    socket: v.pg_localhost,
    ivory: v.pg_mode === 'ivory',
    version: v.pg_version,
  };
}

/**
 * What `pgbackrest info` says of the stanza: its status code, or undefined when it could not tell. Codes:
 * 0 ok, 2 no valid backup (both: the stanza exists), 1 missing stanza path, 3 missing stanza data.
 */
export function stanzaStatus(result: TaskResult | undefined): number | undefined {
  if (!result || result.failed || typeof result.stdout !== 'string') return undefined;
  try {
    const info = JSON.parse(result.stdout) as { status?: { code?: number } }[];
    return info[0]?.status?.code;
  } catch {
    return undefined;
  }
}
