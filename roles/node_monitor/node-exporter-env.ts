import type { RoleVars } from '../vars.ts';

/** /etc/default/prometheus-node-exporter: Debian's unit passes $ARGS to the exporter. */
export function nodeExporterEnv(v: Pick<RoleVars, 'node_exporter_port' | 'node_exporter_options'>): string {
  const args = `--web.listen-address=:${v.node_exporter_port} ${v.node_exporter_options}`.trim();
  return `# Written by Pigsty (node_exporter_port, node_exporter_options): the exporter's command line options.\nARGS="${args.replace(/["\\$`]/g, '\\$&')}"\n`;
}
