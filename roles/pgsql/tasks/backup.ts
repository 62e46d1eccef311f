import { shq } from '../../../engine/shell-quote.ts';
import { dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { file } from '../../../modules/file.ts';
import { shell } from '../../../modules/shell.ts';
import { template, templatePath } from '../../../modules/template.ts';
import type { RoleVars } from '../../vars.ts';
import { dbsu } from '../paths.ts';
import {
  initialBackupWanted,
  PGBACKREST_CONF,
  PGBACKREST_INITIAL_MARKER,
  pgbackrestTemplateVars,
  repoHasSecret,
  stanzaInitWanted,
  stanzaStatus,
} from '../pgbackrest.ts';
import { required } from '../required.ts';

type BackupVars = RoleVars & { pgbackrest_stanza?: TaskResult };
const { task, include } = dsl<BackupVars>();

const cluster = (v: RoleVars): string => required(v, 'pg_cluster');

const configArgs = (v: RoleVars) => ({
  src: templatePath(import.meta.url, 'pgbackrest-conf.hbs'),
  dest: PGBACKREST_CONF,
  owner: dbsu(v),
  group: 'postgres',
  mode: '0640',
  vars: { pgbr: pgbackrestTemplateVars(v) },
});

const stanzaMissing = (v: BackupVars): boolean => {
  const code = stanzaStatus(v.pgbackrest_stanza);
  return code !== 0 && code !== 2;
};

/**
 * Write /etc/pgbackrest/pgbackrest.conf (Pigsty also writes it in its pg_conf step: the core may include these
 * with its own tags). Two variants, so only a repository with secrets hides its diff.
 */
export const pgbackrestConfigTasks = (tags: string[]): TaskItem<RoleVars>[] =>
  [
    task('write pgbackrest.conf', template, configArgs, { tags, when: (v) => !repoHasSecret(v) }),
    task('write pgbackrest.conf (it holds repository secrets)', template, configArgs, { tags, when: (v) => repoHasSecret(v), no_log: true }),
  ] as TaskItem<RoleVars>[];

/** pgBackRest's exit code when another pgBackRest process holds a lock it needs (LockAcquireError). */
const PGBACKREST_LOCK_ERROR = 50;

const steps: TaskItem<BackupVars>[] = [
  // The mode the core's pg_dir step gives it too, so the two steps never undo each other.
  task(
    'create the pgbackrest config directory',
    file,
    (v) => ({ path: '/etc/pgbackrest', state: 'directory' as const, owner: dbsu(v), group: 'postgres', mode: '0700' }),
    {
      tags: ['pgbackrest_dir'],
    },
  ),
  ...(pgbackrestConfigTasks(['pgbackrest_config']) as TaskItem<BackupVars>[]),
  task('read the pgbackrest stanza', command, (v) => ({ argv: ['pgbackrest', `--stanza=${cluster(v)}`, '--output=json', 'info'] }), {
    tags: ['pgbackrest_init'],
    when: stanzaInitWanted,
    become_user: dbsu,
    register: 'pgbackrest_stanza',
    check_mode: false,
    changed_when: () => false,
    failed_when: () => false,
  }),
  task(
    'create the pgbackrest stanza',
    shell,
    (v) => ({
      cmd: `rm -f ${shq(`/tmp/pgbackrest/${cluster(v)}.stop`)} && pgbackrest ${shq(`--stanza=${cluster(v)}`)} --no-online stanza-create`,
      executable: '/bin/bash',
    }),
    {
      tags: ['pgbackrest_init'],
      when: (v) => stanzaInitWanted(v) && stanzaMissing(v),
      become_user: dbsu,
      // Exit 50 is pgBackRest's lock error: archive-push, started by PostgreSQL's archive_command for the first
      // WAL segments, can hold the stanza's archive lock at that moment (seen once in CI). Any other failure stops.
      until: (r) => r.rc !== PGBACKREST_LOCK_ERROR,
      retries: 10,
      delay: 2,
    },
  ),
  task(
    'take the first full backup',
    shell,
    (v) => ({
      cmd: `pgbackrest ${shq(`--stanza=${cluster(v)}`)} --type=full backup && echo ${shq(`first full backup of ${cluster(v)} taken at`)} "$(date -Is)" > ${PGBACKREST_INITIAL_MARKER}`,
      executable: '/bin/bash',
      creates: PGBACKREST_INITIAL_MARKER,
    }),
    // As Pigsty: a failed first backup (WAL archiving not working yet) does not stop the deploy; it is retried next run.
    { tags: ['pgbackrest_backup'], when: initialBackupWanted, become_user: dbsu, ignore_errors: true },
  ),
];

/**
 * The backup part of the pgsql role [pg_backup,pgbackrest], when pgbackrest_enabled: config directory and
 * file (pgbackrest_repo[pgbackrest_method]), the stanza (every member for a local repository, else the
 * primary), and the first full backup on the primary. WAL archiving itself is the core's Patroni config
 * (pgArchiveCommands).
 */
export const backupTasks = [
  include('pgbackrest', steps, { tags: ['pg_backup', 'pgbackrest'], when: (v) => v.pgbackrest_enabled }),
] as TaskItem<RoleVars>[];
