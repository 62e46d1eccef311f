import { changed, dsl } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { pkg } from '../../../modules/package.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { nodeExporterEnv } from '../node-exporter-env.ts';
import type { NodeMonitorVars } from '../node-monitor-vars.ts';

const { task, include } = dsl<NodeMonitorVars>();

/** node_exporter from Debian's prometheus-node-exporter (node-exporter on EL) on node_exporter_port. */
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
      task(
        'launch node_exporter',
        systemd,
        (v) => ({
          name: 'prometheus-node-exporter',
          enabled: true,
          state: changed(v.node_exporter_env) ? ('restarted' as const) : ('started' as const),
        }),
        {
          tags: ['node_exporter_launch'],
        },
      ),
      task('wait for node_exporter', waitFor, (v) => ({ host: '127.0.0.1', port: v.node_exporter_port, timeout: 30 }), {
        tags: ['node_exporter_launch'],
      }),
    ],
    { tags: ['monitor', 'node_exporter'], when: (v) => v.node_exporter_enabled },
  ),
];
