import type { ParamVars } from '../params.ts';

export interface NodeIdentity {
  nodename: string;
  node_cluster: string;
}

type NodeIdentityVars = Pick<ParamVars, 'nodename' | 'node_cluster' | 'node_id_from_pg' | 'pg_cluster' | 'pg_seq'>;

/**
 * Node name and cluster from the host's variables and its probed hostname, by Pigsty's node_id rules. nodename,
 * pg_cluster and pg_seq have no default: a node outside PostgreSQL, or one named after its host, leaves them unset.
 */
export function nodeIdentity(vars: NodeIdentityVars, hostname: string): NodeIdentity {
  const pgCluster = vars.node_id_from_pg && vars.pg_cluster !== undefined && vars.pg_cluster !== '' ? vars.pg_cluster : undefined;
  // The PostgreSQL instance name wins even over an explicit nodename, so node and instance names always agree.
  const nodename =
    pgCluster !== undefined && vars.pg_seq !== undefined
      ? `${pgCluster}-${vars.pg_seq}`
      : vars.nodename !== undefined && vars.nodename !== ''
        ? vars.nodename
        : hostname;
  // 'nodes' is the declared default, so it counts as "not chosen by the user" and yields to pg_cluster.
  const chosen = vars.node_cluster;
  const node_cluster = pgCluster !== undefined && (chosen === '' || chosen === 'nodes') ? pgCluster : chosen;
  return { nodename, node_cluster };
}
