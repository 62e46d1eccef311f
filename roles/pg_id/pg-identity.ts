import type { PgFacts, ParamVars } from '../params.ts';

type PgIdentityVars = Pick<ParamVars, 'pg_cluster' | 'pg_seq' | 'pg_role' | 'pg_shard' | 'pg_group'>;

// Pigsty sorts member lists as strings (a Jinja sort), so 10.10.10.10 comes before 10.10.10.9; kept for parity.
const sorted = (hosts: Iterable<string>): string[] => [...new Set(hosts)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** The Citus shard of a host of `cluster`: pg_shard, else the cluster (Pigsty's pg_id default), decided here only. */
export const pgShardOf = (v: Pick<ParamVars, 'pg_shard'>, cluster: string): string => v.pg_shard ?? cluster;

/** The Citus group of a host: pg_group, else 0 (Pigsty's pg_id default), decided here only. */
export const pgGroupOf = (v: Pick<ParamVars, 'pg_group'>): number => v.pg_group ?? 0;

/** PostgreSQL identity facts of one host; its cluster is every inventory host with the same pg_cluster, whatever their groups. Undefined when the host lacks pg_cluster, pg_seq or pg_role. */
export function pgIdentity(host: string, hostVars: ReadonlyMap<string, PgIdentityVars>): PgFacts | undefined {
  const vars = hostVars.get(host);
  if (vars?.pg_cluster === undefined || vars.pg_seq === undefined || vars.pg_role === undefined) return undefined;
  const cluster = vars.pg_cluster;

  const members = [...hostVars].filter(([, v]) => v.pg_cluster === cluster);
  const primaries = members.filter(([, v]) => v.pg_role === 'primary');
  const primaryHosts = sorted(primaries.map(([h]) => h));
  const primarySeq = primaryHosts.length === 1 ? primaries[0]?.[1].pg_seq : undefined;
  const seqs = members.flatMap(([, v]) => (v.pg_seq === undefined ? [] : [v.pg_seq]));

  return {
    pg_shard: pgShardOf(vars, cluster),
    pg_group: pgGroupOf(vars),
    pg_instance: `${cluster}-${vars.pg_seq}`,
    pg_service: `${cluster}-${vars.pg_role}`,
    pg_is_primary: vars.pg_role === 'primary',
    pg_cluster_size: members.length,
    pg_cluster_members: sorted(members.map(([h]) => h)),
    pg_cluster_replicas: sorted(members.filter(([, v]) => v.pg_role !== 'primary').map(([h]) => h)),
    pg_seq_next: Math.max(...seqs) + 1,
    pg_primary_list: primaryHosts,
    pg_primary_ip: primaryHosts.length === 1 ? (primaryHosts[0] ?? 'unknown') : 'unknown',
    pg_primary_seq: primarySeq ?? 'unknown',
    pg_primary_ins: primarySeq === undefined ? 'unknown' : `${cluster}-${primarySeq}`,
  };
}
