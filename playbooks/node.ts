import type { Playbook } from '../engine/dsl.ts';
import { ca } from '../roles/ca/role.ts';
import { checks } from '../roles/checks.ts';
import { haproxy } from '../roles/haproxy/role.ts';
import { node } from '../roles/node/role.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { nodeMonitor } from '../roles/node_monitor/role.ts';
import { PigstyParams } from '../roles/params.ts';

/** node: Pigsty's node.yml (node_id, node, haproxy, node_monitor), after the CA on the controller as deploy.yml has it. */
export const nodePlaybook: Playbook = {
  name: 'node',
  description: 'Prepare nodes for Pigsty: the CA on the controller, then identity, node setup, haproxy and node_exporter on every host.',
  schema: PigstyParams,
  checks,
  plays: [
    // Pigsty's CA play targets localhost; its tasks run once on the controller (delegate_to localhost) from the host list.
    { name: 'CA', hosts: 'all', tags: ['ca'], become: true, roles: [ca] },
    {
      name: 'NODE',
      hosts: 'all',
      become: true,
      roles: [
        { role: nodeId, tags: ['id'] },
        { role: node, tags: ['node'] },
        { role: haproxy, tags: ['haproxy'] },
        { role: nodeMonitor, tags: ['monitor'] },
      ],
    },
  ],
};
