import type { RoleVars } from '../vars.ts';

/**
 * What provides each variable the pgsql role reads as given although Pigsty declares no default for it: the
 * identity (checked on the inventory before anything runs), the facts node_id and pg_id set at the start of every
 * play that runs the role, and admin_ip (checked before the run too).
 */
const PROVIDED_BY = {
  pg_cluster: 'the inventory (checked before the run)',
  pg_seq: 'the inventory (checked before the run)',
  pg_role: 'the inventory (checked before the run)',
  admin_ip: 'the inventory (checked before the run)',
  pg_instance: 'pg_id',
  pg_shard: 'pg_id',
  pg_group: 'pg_id',
  pg_cluster_members: 'pg_id',
  pg_primary_ip: 'pg_id',
  node_cpu: 'node_id',
  node_mem_mb: 'node_id',
  node_mem_gb: 'node_id',
  os_package: 'node_id',
  os_version: 'node_id',
} as const;

type Provided = keyof typeof PROVIDED_BY;

/**
 * A variable that has no default but is always there by the time the role runs: its absence is a run that skipped
 * what provides it, said with the variable's name rather than filled in with a value Pigsty never declared.
 */
export function required<K extends Provided>(v: Partial<Pick<RoleVars, K>>, name: K): NonNullable<RoleVars[K]> {
  const value = v[name];
  if (value === undefined) throw new Error(`${name} is not set on this host: ${PROVIDED_BY[name]} provides it before the pgsql role runs`);
  return value as NonNullable<RoleVars[K]>;
}
