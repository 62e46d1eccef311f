import type { TaskResult } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';

/** What the node role's tasks register, read by later tasks. */
export interface NodeRegisters {
  node_virt?: TaskResult;
  node_hosts_read?: TaskResult;
  node_resolv_read?: TaskResult;
  node_ca_copy?: TaskResult;
  node_ca_link?: TaskResult;
  node_repo_files?: TaskResult;
  node_kernel_missing?: TaskResult;
  node_kernel_loaded?: TaskResult;
  node_admin_pubkey?: TaskResult;
  node_chrony_conf?: TaskResult;
  node_chrony_dropin?: TaskResult;
  node_vip_conf?: TaskResult;
}

/** What the node role's tasks read: the parameters and facts every role reads, and the node role's registers. */
export type NodeVars = RoleVars & NodeRegisters;
