import type { ParamVars } from '../params.ts';
import type { RoleVars } from '../vars.ts';

/** What the etcd role reads of one host to place it in its cluster. */
export type EtcdHostVars = Pick<ParamVars, 'etcd_seq' | 'etcd_cluster' | 'etcd_port' | 'etcd_peer_port'>;

/** The view of the inventory the cluster computations need: the groups and every host's variables. */
export interface EtcdView {
  inventory_hostname: string;
  groups: Record<string, string[]>;
  hostvars: Record<string, EtcdHostVars>;
}

/** One member as the configuration lists it. */
export interface EtcdMember {
  host: string;
  name: string;
  peerUrl: string;
  clientUrl: string;
}

// Pigsty sorts the group as strings (a Jinja sort): 10.10.10.100 sorts before 10.10.10.11. Kept so every
// member renders the same initial-cluster line as Pigsty would.
const sortedHosts = (hosts: readonly string[]): string[] => [...new Set(hosts)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** The member name of an instance: `<etcd_cluster>-<etcd_seq>`. */
export const etcdInstance = (cluster: string, seq: number): string => `${cluster}-${seq}`;

/** The variables of an inventory host: the engine gives every one of them an entry in hostvars. */
export function hostVarsOf<T>(v: { hostvars: Record<string, T> }, host: string): T {
  const vars = v.hostvars[host];
  if (vars === undefined) throw new Error(`${host} is not a host of the inventory`);
  return vars;
}

/** The host's etcd_seq: an identity parameter without a default, asserted (etcd_assert) before it is read. */
export function etcdSeqOf(v: Pick<RoleVars, 'etcd_seq' | 'inventory_hostname'>): number {
  if (v.etcd_seq === undefined) throw new Error(`etcd_seq is required for etcd instance ${v.inventory_hostname}`);
  return v.etcd_seq;
}

/** The member name of the host the task runs for. */
export const instanceOf = (v: RoleVars): string => etcdInstance(v.etcd_cluster, etcdSeqOf(v));

/** Every member of the host's cluster (the inventory group named etcd_cluster), sorted as Pigsty sorts them. */
export function etcdMembers(v: EtcdView): EtcdMember[] {
  const cluster = hostVarsOf(v, v.inventory_hostname).etcd_cluster;
  return sortedHosts(v.groups[cluster] ?? []).map((host) => {
    const hv = hostVarsOf(v, host);
    if (hv.etcd_seq === undefined) throw new Error(`etcd member ${host} of group ${cluster} has no etcd_seq`);
    return {
      host,
      name: etcdInstance(cluster, hv.etcd_seq),
      peerUrl: `https://${host}:${hv.etcd_peer_port}`,
      clientUrl: `https://${host}:${hv.etcd_port}`,
    };
  });
}

/** The initial-cluster value: `name=https://ip:peer_port` for each member, comma separated. */
export function initialCluster(v: EtcdView): string {
  return etcdMembers(v)
    .map((m) => `${m.name}=${m.peerUrl}`)
    .join(',');
}

/** Client endpoints of every member, for ETCDCTL_ENDPOINTS. */
export function etcdEndpoints(v: EtcdView): string {
  return etcdMembers(v)
    .map((m) => m.clientUrl)
    .join(',');
}

/** Client endpoints of the other members: where a joining member asks to be added. */
export function otherEndpoints(v: EtcdView): string {
  return etcdMembers(v)
    .filter((m) => m.host !== v.inventory_hostname)
    .map((m) => m.clientUrl)
    .join(',');
}

/**
 * Why this host cannot be an etcd member, if it cannot: etcd_seq missing or negative, the host outside the group
 * named by etcd_cluster, or a member name (cluster-seq) used twice in the group.
 */
export function etcdIdentityProblems(v: EtcdView): string[] {
  const self = hostVarsOf(v, v.inventory_hostname);
  const cluster = self.etcd_cluster;
  const problems: string[] = [];
  if (self.etcd_seq === undefined) problems.push(`etcd_seq is required for etcd instance ${v.inventory_hostname}`);
  else if (!Number.isInteger(self.etcd_seq) || self.etcd_seq < 0)
    problems.push(`etcd_seq must be a non-negative integer, got ${String(self.etcd_seq)}`);
  const group = v.groups[cluster] ?? [];
  if (!group.includes(v.inventory_hostname)) {
    problems.push(`${v.inventory_hostname} is not in the inventory group "${cluster}": the group of etcd members must be named as etcd_cluster`);
  }
  if (self.etcd_seq !== undefined) {
    const twins = group.filter((h) => h !== v.inventory_hostname && v.hostvars[h]?.etcd_seq === self.etcd_seq);
    if (twins.length) problems.push(`etcd_seq ${self.etcd_seq} is also used by ${twins.join(', ')} in group ${cluster}`);
  }
  for (const host of group) {
    if (host !== v.inventory_hostname && v.hostvars[host]?.etcd_seq === undefined)
      problems.push(`member ${host} of group ${cluster} has no etcd_seq`);
  }
  return problems;
}
