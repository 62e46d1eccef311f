import { isTrueWord } from '../engine/bool-words.ts';
import type { Playbook } from '../engine/dsl.ts';
import { dsl, type TaskItem } from '../engine/dsl.ts';
import { debug } from '../modules/debug.ts';
import { checks } from '../roles/checks.ts';
import { PigstyParams, type PgDatabase } from '../roles/params.ts';
import { pgId } from '../roles/pg_id/role.ts';
import { provisionHost } from '../roles/pgsql/provision-args.ts';
import { databaseTasks } from '../roles/pgsql/tasks/database.ts';
import { pgbouncerListTask, pgbouncerReloadTask, type PgbouncerStepVars } from '../roles/pgsql/tasks/pgbouncer.ts';

/**
 * `-e dbname=NAME`: the pg_databases entry to create, update, recreate or drop; `-e dbforce=true`: recreate it even
 * while sessions are connected (they are terminated). Extra vars only, so that no inventory keeps them on.
 */
type DbPlayVars = PgbouncerStepVars & { dbname?: unknown; dbforce?: unknown };
const { task, include } = dsl<DbPlayVars>();

/** The pg_databases entry the run is about, if defined. */
export function databaseDefinition(v: DbPlayVars): PgDatabase | undefined {
  return typeof v.dbname === 'string' ? v.pg_databases.find((d) => d.name === v.dbname) : undefined;
}

const validName = (v: DbPlayVars): boolean => typeof v.dbname === 'string' && v.dbname !== '';

/** -e dbforce as Ansible's `| bool` reads it: it is no parameter of the schema, so nothing typed it before. */
const forced = (value: unknown): boolean =>
  typeof value === 'boolean' ? value : typeof value === 'number' ? value !== 0 : typeof value === 'string' && isTrueWord(value);

const tasks: TaskItem<DbPlayVars>[] = [
  include(
    'preflight',
    [
      task(
        'validate the dbname parameter',
        debug,
        (v) => ({ msg: validName(v) ? `database ${String(v.dbname)}` : "variable 'dbname' should be specified (-e dbname=<name>)" }),
        {
          failed_when: (_r, v) => !validName(v),
        },
      ),
      task(
        'validate the database definition',
        debug,
        (v) => {
          const def = databaseDefinition(v);
          return { msg: def ? JSON.stringify(def) : `define database ${String(v.dbname)} in pg_databases first` };
        },
        { failed_when: (_r, v) => databaseDefinition(v) === undefined },
      ),
    ],
    { tags: ['preflight', 'always'] },
  ),
  include(
    'postgres',
    databaseTasks((v) => [databaseDefinition(v as DbPlayVars)].filter((d): d is PgDatabase => d !== undefined), {
      recreate: true,
      force: (v) => forced((v as DbPlayVars).dbforce),
    }) as TaskItem<DbPlayVars>[],
    { tags: ['postgres'], when: provisionHost },
  ),
  task(
    'grafana datasources are left to pg_monitor',
    debug,
    (v) => ({
      msg: `grafana datasource of ${String(v.dbname)} not ${databaseDefinition(v)?.state === 'absent' ? 'removed' : 'registered'}: that belongs to the monitoring roles`,
    }),
    { tags: ['register', 'unregister', 'grafana', 'add_ds', 'rm_ds'] },
  ),
  include('pgbouncer', [pgbouncerListTask([]), pgbouncerReloadTask([])] as TaskItem<DbPlayVars>[], {
    tags: ['pgbouncer'],
    when: (v) => v.pgbouncer_enabled && databaseDefinition(v)?.pgbouncer !== false,
  }),
];

/** pgsql-db: create, update or drop one pg_databases entry on its cluster's primary, then refresh pgbouncer's database list. */
export const pgsqlDb: Playbook = {
  name: 'pgsql-db',
  description: 'Create, update, recreate or drop the pg_databases entry named by -e dbname=NAME, and refresh the pgbouncer database list.',
  schema: PigstyParams,
  checks,
  commandLineVars: ['dbname', 'dbforce'],
  plays: [
    {
      name: 'PGSQL DB',
      hosts: 'all',
      become: true,
      roles: [{ role: pgId, tags: ['pg-id'], when: (v: DbPlayVars) => v.pg_cluster !== undefined }],
      tasks: [include('database', tasks, { when: (v) => v.pg_cluster !== undefined })] as TaskItem<never>[],
    },
  ],
};
