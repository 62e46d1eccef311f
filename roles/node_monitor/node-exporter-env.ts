import { envLine } from '../../engine/shell-quote.ts';
import type { RoleVars } from '../vars.ts';

/** /etc/default/prometheus-node-exporter: Debian's unit passes $ARGS to the exporter; the path is the one the node job scrapes. */
export function nodeExporterEnv(v: Pick<RoleVars, 'node_exporter_port' | 'node_exporter_options' | 'exporter_metrics_path'>): string {
  const args = `--web.listen-address=:${v.node_exporter_port} --web.telemetry-path=${v.exporter_metrics_path} ${v.node_exporter_options}`.trim();
  return `# Written by Pigsty (node_exporter_port, exporter_metrics_path, node_exporter_options): the exporter's command line options.\n${envLine('ARGS', args)}`;
}
