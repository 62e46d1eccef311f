import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import type { RoleVars } from '../../vars.ts';
import { databaseTasks } from './database.ts';
import { userTasks } from './user.ts';

const { include } = dsl<RoleVars>();

/**
 * The provisioning part of the pgsql role, on the primary: pg_users [pg_provision,pg_user] and pg_databases
 * [pg_provision,pg_db], when pg_provision is on.
 */
export const provisionTasks = [
  include(
    'pg_users',
    userTasks((v) => v.pg_users),
    { tags: ['pg_provision', 'pg_user'], when: (v) => v.pg_provision },
  ),
  include(
    'pg_databases',
    databaseTasks((v) => v.pg_databases, { recreate: false }),
    { tags: ['pg_provision', 'pg_db'], when: (v) => v.pg_provision },
  ),
] as TaskItem<RoleVars>[];
