import type { TaskResult } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';

/** What the etcd role's tasks read: the role vars and the results its tasks register. */
export type EtcdVars = RoleVars & {
  etcd_conf_result?: TaskResult;
  etcd_cert_result?: TaskResult;
  etcd_key_result?: TaskResult;
  etcd_member_list?: TaskResult;
  etcd_auth_state?: TaskResult;
};
