import type { Playbook } from '../engine/dsl.ts';
import { checks } from '../roles/checks.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { PigstyParams } from '../roles/params.ts';
import { pgMonitor } from '../roles/pg_monitor/role.ts';
import { pgId } from '../roles/pg_id/role.ts';
import { pgsql as pgsqlRole } from '../roles/pgsql/role.ts';
import type { RoleVars } from '../roles/vars.ts';

const pgHost = (v: RoleVars): boolean => v.pg_cluster !== undefined;

/**
 * pgsql: Pigsty's pgsql.yml. Deploy the PostgreSQL clusters of the inventory (every host with pg_cluster), or the one
 * picked with -l <cluster>; re-run a step with its tag, e.g. `-l pg-test -t pg_hba` after changing pg_hba_rules.
 */
export const pgsql: Playbook = {
  name: 'pgsql',
  description:
    'Deploy PostgreSQL clusters: node identity, PostgreSQL identity, then the pgsql and pg_monitor roles on every host with pg_cluster (-l <cluster> to pick one).',
  schema: PigstyParams,
  checks,
  plays: [
    {
      name: 'PGSQL',
      hosts: 'all',
      become: true,
      roles: [
        { role: nodeId, tags: ['id', 'node-id'] },
        { role: pgId, tags: ['id', 'pg-id'], when: pgHost },
        { role: pgsqlRole, tags: ['pgsql'], when: pgHost },
        { role: pgMonitor, tags: ['monitor'], when: pgHost },
      ],
    },
  ],
};
