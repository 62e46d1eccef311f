import type { Playbook } from '../engine/dsl.ts';
import { checks } from '../roles/checks.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { PigstyParams } from '../roles/params.ts';
import { pgId } from '../roles/pg_id/role.ts';
import { pgRemove } from '../roles/pg_remove/role.ts';
import type { RoleVars } from '../roles/vars.ts';

const hasCluster = (v: RoleVars): boolean => v.pg_cluster !== undefined;

/**
 * pgsql-rm: remove the PostgreSQL clusters or instances that -l names (it refuses to run without one). Every removal step goes on past
 * failures; the pg_safeguard check does not, and a safeguarded host stops the whole run before anything goes.
 */
export const pgsqlRm: Playbook = {
  name: 'pgsql-rm',
  description: 'Remove PostgreSQL instances: access paths, postgres, etcd metadata, backups, data and packages (pg_rm_*), unless pg_safeguard.',
  schema: PigstyParams,
  checks,
  // Without -l this would remove every cluster of the inventory, data and backups included.
  requiresLimit: true,
  plays: [
    {
      name: 'PGSQL REMOVE',
      hosts: 'all',
      become: true,
      any_errors_fatal: true,
      roles: [
        { role: nodeId, tags: ['id', 'node-id'], when: hasCluster },
        { role: pgId, tags: ['id', 'pg-id'], when: hasCluster },
        { role: pgRemove, when: hasCluster },
      ],
    },
  ],
};
