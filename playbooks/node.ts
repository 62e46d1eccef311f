import type { Playbook, TaskItem } from '../engine/dsl.ts';
import { changed, dsl } from '../engine/dsl.ts';
import { copy } from '../modules/copy.ts';
import { debug } from '../modules/debug.ts';
import { pkg } from '../modules/package.ts';
import { shell } from '../modules/shell.ts';
import { systemd } from '../modules/systemd.ts';
import { waitFor } from '../modules/wait-for.ts';
import { ca } from '../roles/ca/role.ts';
import { checks } from '../roles/checks.ts';
import { haproxy } from '../roles/haproxy/role.ts';
import { node } from '../roles/node/role.ts';
import { nodeId } from '../roles/node_id/role.ts';
import { PigstyParams } from '../roles/params.ts';
import type { RoleVars } from '../roles/vars.ts';

type MonitorVars = RoleVars & { node_exporter_env?: { changed: boolean } };
const { task, include } = dsl<MonitorVars>();

/** /etc/default/prometheus-node-exporter: Debian's unit passes $ARGS to the exporter. */
export function nodeExporterEnv(v: Pick<RoleVars, 'node_exporter_port' | 'node_exporter_options'>): string {
  const args = `--web.listen-address=:${v.node_exporter_port} ${v.node_exporter_options}`.trim();
  return `# Written by Pigsty (node_exporter_port, node_exporter_options): the exporter's command line options.\nARGS="${args.replace(/["\\$`]/g, '\\$&')}"\n`;
}

/**
 * The part of Pigsty's node_monitor role Debian can do: node_exporter from Debian's prometheus-node-exporter on
 * node_exporter_port. Vector, the keepalived exporter and the registration on infra nodes are skipped with a notice.
 */
export const nodeExporterTasks = [
  include(
    'node exporter',
    [
      // Debian's package recommends the textfile collectors, which pull nvme-cli and smartmontools units that fail in containers.
      task(
        'install node_exporter',
        shell,
        {
          cmd: 'DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends -o DPkg::Lock::Timeout=300 prometheus-node-exporter',
          creates: '/usr/bin/prometheus-node-exporter',
        },
        { when: (v) => v.os_package !== 'rpm' },
      ),
      task('install node_exporter', pkg, { name: 'node-exporter', aliases: true }, { when: (v) => v.os_package === 'rpm' }),
      task('configure node_exporter', copy, (v) => ({ dest: '/etc/default/prometheus-node-exporter', mode: '0644', content: nodeExporterEnv(v) }), {
        tags: ['node_exporter_config'],
        register: 'node_exporter_env',
      }),
      task('launch node_exporter', systemd, (v) => ({ name: 'prometheus-node-exporter', enabled: true, state: changed(v.node_exporter_env) ? ('restarted' as const) : ('started' as const) }), {
        tags: ['node_exporter_launch'],
      }),
      task('wait for node_exporter', waitFor, (v) => ({ host: '127.0.0.1', port: v.node_exporter_port, timeout: 30 }), { tags: ['node_exporter_launch'] }),
    ],
    { tags: ['monitor', 'node_exporter'], when: (v) => v.node_exporter_enabled },
  ),
  task(
    'node monitor parts not deployed',
    debug,
    (v) => ({
      msg:
        'node_monitor: only node_exporter is set up. Skipped: vector logs (vector is only in Pigsty\'s repository), ' +
        `the keepalived exporter${v.vip_enabled ? ' for the node VIP' : ''} (idem), and registering this node's targets on infra nodes (the infra role's part).`,
    }),
    { tags: ['monitor'] },
  ),
];

/** node: Pigsty's node.yml (node_id, node, haproxy, node_exporter of node_monitor), after the CA on the controller as deploy.yml has it. */
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
      ],
      tasks: nodeExporterTasks as TaskItem<never>[],
    },
  ],
};
