import { dsl, type Playbook, type TaskItem } from '../engine/dsl.ts';
import { debug } from '../modules/debug.ts';
import { ca } from '../roles/ca/role.ts';
import { checks } from '../roles/checks.ts';
import { etcd } from '../roles/etcd/role.ts';
import { haproxy } from '../roles/haproxy/role.ts';
import { infra } from '../roles/infra/role.ts';
import { node } from '../roles/node/role.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { nodeMonitor } from '../roles/node_monitor/role.ts';
import { PigstyParams } from '../roles/params.ts';
import { pgMonitor } from '../roles/pg_monitor/role.ts';
import { pgId } from '../roles/pg_id/role.ts';
import { pgsql } from '../roles/pgsql/role.ts';
import type { RoleVars } from '../roles/vars.ts';

const { task } = dsl<RoleVars>();
const pgHost = (v: RoleVars): boolean => v.pg_cluster !== undefined;

/** What deploy.yml does that this project does not yet, said once per run instead of silently left out. */
const notDeployed = (what: string, why: string): TaskItem<never> =>
  task(`${what} not deployed`, debug, { msg: `${what}: skipped, ${why}` }, { run_once: true }) as unknown as TaskItem<never>;

/** deploy: Pigsty's deploy.yml on the inventory, play by play with Pigsty's play tags. */
export const deploy: Playbook = {
  name: 'deploy',
  description:
    'Deploy Pigsty on the inventory: identity, CA, nodes with haproxy, the metrics core on infra nodes, node_exporter, etcd, then the PostgreSQL clusters and their exporters.',
  schema: PigstyParams,
  checks,
  plays: [
    {
      name: 'IDENTITY',
      hosts: 'all',
      tags: ['id'],
      become: true,
      roles: [
        { role: nodeId, tags: ['node-id'] },
        { role: pgId, tags: ['pg-id'], when: pgHost },
      ],
    },
    // Pigsty's CA play targets localhost; its tasks run once, on the controller, from the host list.
    { name: 'CA', hosts: 'all', tags: ['ca'], become: true, roles: [ca] },
    {
      name: 'REPO',
      hosts: 'infra',
      tags: ['repo'],
      tasks: [notDeployed('repo', "nodes install Debian's own packages; a local Pigsty repository is not built")],
    },
    {
      name: 'NODE INIT',
      hosts: 'all',
      tags: ['node-init'],
      become: true,
      roles: [
        { role: node, tags: ['node'] },
        { role: haproxy, tags: ['haproxy'] },
      ],
    },
    { name: 'INFRA INIT', hosts: 'infra', tags: ['infra'], become: true, roles: [infra] },
    { name: 'NODE MONITOR', hosts: 'all', tags: ['monitor', 'node-monitor'], become: true, roles: [nodeMonitor] },
    { name: 'ETCD INIT', hosts: 'etcd', tags: ['etcd'], become: true, roles: [etcd] },
    {
      name: 'PGSQL INIT',
      hosts: 'all',
      tags: ['pgsql'],
      become: true,
      roles: [
        { role: pgsql, when: pgHost },
        { role: pgMonitor, tags: ['monitor', 'pg-monitor'], when: pgHost },
      ],
    },
  ],
};
