import type { Playbook } from '../engine/dsl.ts';
import { checks } from '../roles/checks.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { PigstyParams } from '../roles/params.ts';
import { pgExporters } from '../roles/pg_exporters/role.ts';

/**
 * pgsql-monitor: Pigsty's pgsql-monitor.yml. Monitor the remote PostgreSQL instances of pg_exporters from the infra
 * hosts; `-e clsname=<cluster>` limits the run to one cluster's entries.
 */
export const pgsqlMonitor: Playbook = {
  name: 'pgsql-monitor',
  description: 'Monitor remote PostgreSQL (pg_exporters) from the infra hosts: one postgres_exporter per entry, registered as pgrds targets.',
  schema: PigstyParams,
  checks,
  commandLineVars: ['clsname'],
  plays: [
    {
      name: 'PGSQL MONITOR',
      hosts: 'infra',
      become: true,
      roles: [
        { role: nodeId, tags: ['id'] },
        { role: pgExporters, tags: ['exporter'] },
      ],
    },
  ],
};
