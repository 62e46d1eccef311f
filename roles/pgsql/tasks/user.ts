import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { pgRole } from '../../../modules/pg-role.ts';
import type { PgUser } from '../../params.ts';
import type { RoleVars } from '../../vars.ts';
import { dbsu } from '../paths.ts';
import { portArg, provisionHost, roleArgs, systemUsers } from '../provision-args.ts';

const { task } = dsl<RoleVars>();

/**
 * The user steps [pg_user] for the users `select` picks: drop the absent ones (never a system user), then create
 * or converge the others in declaration order (a role may be granted one defined before it).
 */
export function userTasks(select: (v: RoleVars) => PgUser[]): TaskItem<RoleVars>[] {
  const dropped = (v: RoleVars) => select(v).filter((u) => u.state === 'absent' && !systemUsers(v).includes(u.name));
  const kept = (v: RoleVars) => select(v).filter((u) => u.state !== 'absent');
  return [
    task('drop absent users', pgRole, (v, user: PgUser) => ({ name: user.name, state: 'absent', ...portArg(v) }), {
      tags: ['pg_user_drop'],
      loop: dropped,
      when: (v) => provisionHost(v) && dropped(v).length > 0,
      become_user: dbsu,
      // As Pigsty: a role that still owns objects is reported, and the run goes on.
      ignore_errors: true,
    }),
    task('create or update users', pgRole, (v, user: PgUser) => roleArgs(v, user), {
      tags: ['pg_user_config', 'pg_user_create'],
      loop: kept,
      when: (v) => provisionHost(v) && kept(v).length > 0,
      become_user: dbsu,
    }),
  ];
}
