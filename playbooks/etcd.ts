import type { Playbook } from '../engine/dsl.ts';
import { checks } from '../roles/checks.ts';
import { etcd as etcdRole } from '../roles/etcd/role.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { PigstyParams } from '../roles/params.ts';

/**
 * etcd: Pigsty's etcd.yml. Deploy (or extend) the etcd cluster of the group `etcd`.
 * Add a member: put it in the group, then `./etcd.ts -l <ip> -e etcd_init=existing`.
 */
export const etcd: Playbook = {
  name: 'etcd',
  description: 'Deploy the etcd cluster of the group etcd (node identity, then the etcd role); add a member with -l <ip> -e etcd_init=existing.',
  schema: PigstyParams,
  checks,
  plays: [
    {
      name: 'ETCD INIT',
      hosts: 'etcd',
      become: true,
      roles: [{ role: nodeId, tags: ['id'] }, etcdRole],
    },
  ],
};
