import { changed, dsl } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { helperDirTask, HELPER_DIR } from '../../helper-dir.ts';
import type { NodeMonitorVars } from '../node-monitor-vars.ts';

const { task, include } = dsl<NodeMonitorVars>();

const SCRIPT = `${HELPER_DIR}/cert-metrics`;
/** node_exporter's textfile directory on Debian (its package's default). */
export const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
const UNITS = ['pigsty-cert-metrics.service', 'pigsty-cert-metrics.timer', 'pigsty-cert-metrics.path'];

/**
 * [node_cert_metrics]: when each deployed certificate expires, for node_exporter's textfile collector (Pigsty
 * v4.0 has no certificate alert; the CertExpiring alerts read this): hourly, whenever one of the certificates is
 * written (a path unit, since etcd and pgsql write theirs after this role), and at once when the script changed.
 */
export const certMetricsTasks = [
  include(
    'certificate metrics',
    [
      helperDirTask<NodeMonitorVars>(),
      // The script writes only into a directory of root's that nobody else may write to (its parent is prometheus'):
      // the package makes it so, and this keeps it so.
      task('create the textfile directory', file, { path: TEXTFILE_DIR, state: 'directory', owner: 'root', group: 'root', mode: '0755' }),
      task(
        'install the certificate metrics script',
        copy,
        { src: filesPath(import.meta.url, 'cert-metrics'), dest: SCRIPT, owner: 'root', group: 'root', mode: '0755' },
        {
          register: 'cert_metrics_script',
        },
      ),
      task(
        'install the certificate metrics units',
        copy,
        (_v, unit: string) => ({
          src: filesPath(import.meta.url, unit),
          dest: `/etc/systemd/system/${unit}`,
          owner: 'root',
          group: 'root',
          mode: '0644',
        }),
        {
          loop: UNITS,
          register: 'cert_metrics_units',
        },
      ),
      task(
        'launch the certificate metrics timer and path watch',
        systemd,
        (v, unit: string) => ({ name: unit, enabled: true, state: 'started' as const, daemon_reload: changed(v.cert_metrics_units) }),
        { loop: ['pigsty-cert-metrics.timer', 'pigsty-cert-metrics.path'] },
      ),
      task('write the certificate metrics now', shell, { cmd: SCRIPT }, { when: (v) => changed(v.cert_metrics_script) }),
    ],
    { tags: ['monitor', 'node_cert_metrics'], when: (v) => v.node_exporter_enabled },
  ),
];
