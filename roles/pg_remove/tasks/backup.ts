import { dsl } from '../../../engine/dsl.ts';
import { shq } from '../../../engine/shell-quote.ts';
import { file } from '../../../modules/file.ts';
import { shell } from '../../../modules/shell.ts';
import { dbsu } from '../../pgsql/paths.ts';
import { PGBACKREST_CONF, PGBACKREST_INITIAL_MARKER, localRepoPath } from '../../pgsql/pgbackrest.ts';
import type { RoleVars } from '../../vars.ts';
import { cluster, isPrimary, lenient, type RemoveVars } from '../removal.ts';

const { task, include } = dsl<RemoveVars>();

/** The local repository's path; the task that reads it runs only when there is one. */
const localRepo = (v: RoleVars): string => {
  const path = localRepoPath(v);
  if (path === undefined) throw new Error('pgbackrest_repo selects no local repository');
  return path;
};

/** [pg_backup] (pg_rm_backup): the backup stanza, the local repository and the pgbackrest config. */
export const backupTasks = [
  include(
    'pgbackrest',
    [
      task(
        'stop pgbackrest and delete the stanza',
        shell,
        (v) => ({
          cmd: `if [ -f ${PGBACKREST_CONF} ]; then pgbackrest ${shq(`--stanza=${cluster(v)}`)} --force stop; pgbackrest ${shq(`--stanza=${cluster(v)}`)} --force stanza-delete; fi`,
          executable: '/bin/bash',
        }),
        { when: isPrimary, become_user: dbsu, ...lenient },
      ),
      task('remove the local backup repository', file, (v) => ({ path: localRepo(v), state: 'absent' as const }), {
        when: (v) => v.pgbackrest_method === 'local' && localRepoPath(v) !== undefined,
        ...lenient,
      }),
      task('remove the pgbackrest config', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
        loop: [PGBACKREST_CONF, PGBACKREST_INITIAL_MARKER],
        ...lenient,
      }),
    ],
    { tags: ['pg_backup', 'pgbackrest'], when: (v) => v.pg_rm_backup },
  ),
];
