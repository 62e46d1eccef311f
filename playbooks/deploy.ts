import type { Playbook } from '../engine/dsl.ts';
import { ping } from '../modules/ping.ts';
import { checks } from '../roles/checks.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { PigstyParams } from '../roles/params.ts';
import { pgId } from '../roles/pg_id/role.ts';
import type { RoleVars } from '../roles/vars.ts';

/** deploy: Pigsty's full deployment. Until the node, etcd and pgsql roles land it runs identity and a reachability probe. */
export const deploy: Playbook = {
  name: 'deploy',
  description: 'Deploy Pigsty on the inventory: identity, then (as roles land) node, etcd and pgsql.',
  schema: PigstyParams,
  checks,
  plays: [
    {
      name: 'IDENTITY',
      hosts: 'all',
      tags: ['id'],
      become: true,
      roles: [{ role: nodeId, tags: ['node-id'] }, { role: pgId, tags: ['pg-id'], when: (v: RoleVars) => v.pg_cluster !== undefined }],
    },
    {
      name: 'PROBE',
      hosts: 'all',
      tags: ['probe'],
      become: true,
      tasks: [{ kind: 'task', name: 'check the node answers as root', module: ping, args: {}, tags: ['probe'] }],
    },
  ],
};
