import type { Playbook } from '../engine/dsl.ts';
import { dsl, type TaskItem } from '../engine/dsl.ts';
import { debug } from '../modules/debug.ts';
import { checks } from '../roles/checks.ts';
import { PigstyParams, type PgUser } from '../roles/params.ts';
import { pgId } from '../roles/pg_id/role.ts';
import { provisionHost } from '../roles/pgsql/provision-args.ts';
import {
  pgbouncerListTask,
  pgbouncerMissingTask,
  pgbouncerReloadTask,
  pgbouncerSecretsTask,
  pgbouncerUserlistTask,
  type PgbouncerStepVars,
} from '../roles/pgsql/tasks/pgbouncer.ts';
import { userTasks } from '../roles/pgsql/tasks/user.ts';

/** `-e username=NAME`: the pg_users entry to create, update or drop. */
type UserPlayVars = PgbouncerStepVars & { username?: unknown };
const { task, include } = dsl<UserPlayVars>();

/** The pg_users entry the run is about, if the username is valid and defined. */
export function userDefinition(v: UserPlayVars): PgUser | undefined {
  return typeof v.username === 'string' ? v.pg_users.find((u) => u.name === v.username) : undefined;
}

const validName = (v: UserPlayVars): boolean => typeof v.username === 'string' && v.username !== '' && v.username !== 'postgres';
const withoutSecret = ({ password: _password, ...rest }: PgUser) => rest;

const tasks: TaskItem<UserPlayVars>[] = [
  include(
    'preflight',
    [
      task(
        'validate the username parameter',
        debug,
        (v) => ({
          msg: validName(v) ? `user ${String(v.username)}` : "variable 'username' should be specified (-e username=<name>), and not be postgres",
        }),
        { failed_when: (_r, v) => !validName(v) },
      ),
      task(
        'validate the user definition',
        debug,
        (v) => {
          const def = userDefinition(v);
          return { msg: def ? JSON.stringify(withoutSecret(def)) : `define user ${String(v.username)} in pg_users first` };
        },
        { failed_when: (_r, v) => userDefinition(v) === undefined },
      ),
    ],
    { tags: ['preflight', 'always'] },
  ),
  include('postgres', userTasks((v) => [userDefinition(v as UserPlayVars)].filter((u): u is PgUser => u !== undefined)) as TaskItem<UserPlayVars>[], {
    tags: ['postgres'],
    when: provisionHost,
  }),
  include(
    'pgbouncer',
    [
      pgbouncerListTask([]),
      pgbouncerSecretsTask([]),
      pgbouncerMissingTask([]),
      pgbouncerUserlistTask([]),
      pgbouncerReloadTask([]),
    ] as TaskItem<UserPlayVars>[],
    { tags: ['pgbouncer'], when: (v) => v.pgbouncer_enabled && userDefinition(v)?.pgbouncer === true },
  ),
];

/** pgsql-user: create or update one pg_users entry on its cluster's primary, then refresh pgbouncer's users on every member. */
export const pgsqlUser: Playbook = {
  name: 'pgsql-user',
  description: 'Create, update or drop the pg_users entry named by -e username=NAME, and refresh the pgbouncer user list.',
  schema: PigstyParams,
  checks,
  commandLineVars: ['username'],
  plays: [
    {
      name: 'PGSQL USER',
      hosts: 'all',
      become: true,
      roles: [{ role: pgId, tags: ['pg-id'], when: (v: UserPlayVars) => v.pg_cluster !== undefined }],
      tasks: [include('user', tasks, { when: (v) => v.pg_cluster !== undefined })] as TaskItem<never>[],
    },
  ],
};
