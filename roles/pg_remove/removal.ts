import type { TaskResult } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';

/** What the removal steps read: the role vars and the service listing they register. */
export type RemoveVars = RoleVars & { pg_rm_service_present?: TaskResult; pg_rm_service_removed?: TaskResult };

/** The host's pg_cluster: the playbook runs this role only on hosts that have one. */
export const cluster = (v: RoleVars): string => {
  if (v.pg_cluster === undefined) throw new Error(`pg_cluster is not set on ${v.inventory_hostname}: pg_remove acts on PostgreSQL hosts only`);
  return v.pg_cluster;
};
export const isPrimary = (v: RoleVars): boolean => v.pg_role === 'primary';

/** Every removal step goes on past a failure (Pigsty runs pgsql-rm with ignore_errors), except the safeguard. */
export const lenient = { ignore_errors: true } as const;
