import type { Playbook } from '../engine/dsl.ts';
import { ca } from '../roles/ca/role.ts';
import { checks, infraGroupRequired } from '../roles/checks.ts';
import { haproxy } from '../roles/haproxy/role.ts';
import { infra as infraRole } from '../roles/infra/role.ts';
import { node } from '../roles/node/role.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { nodeMonitor } from '../roles/node_monitor/role.ts';
import { PigstyParams } from '../roles/params.ts';

/** infra: Pigsty's infra.yml: the CA, then node_id, node, haproxy, infra and node_monitor on the hosts of group infra. */
export const infra: Playbook = {
  name: 'infra',
  description: 'Deploy the INFRA module on the hosts of group infra: node setup, VictoriaMetrics, vmalert, Alertmanager and the blackbox exporter.',
  schema: PigstyParams,
  checks: [...checks, infraGroupRequired],
  plays: [
    // Pigsty's CA play targets localhost; its tasks run once on the controller from the host list.
    { name: 'CA', hosts: 'all', tags: ['ca'], become: true, roles: [ca] },
    {
      name: 'INFRA',
      hosts: 'infra',
      become: true,
      roles: [
        { role: nodeId, tags: ['id'] },
        { role: node, tags: ['node'] },
        { role: haproxy, tags: ['haproxy'] },
        { role: infraRole, tags: ['infra'] },
        { role: nodeMonitor, tags: ['monitor'] },
      ],
    },
  ],
};
