import { renderTargets, type TargetGroup } from '../infra/targets.ts';
import type { RemotePgEntry } from '../params.ts';
import { pgExporterEnv } from '../pg_monitor/exporter-env.ts';
import type { RoleVars } from '../vars.ts';

/** The systemd template unit each remote exporter is an instance of (Pigsty's pg_exporter_<cls>-<seq> units). */
export const TEMPLATE_UNIT = 'prometheus-postgres-exporter@';
export const envFileOf = (instance: string): string => `/etc/default/prometheus-postgres-exporter-${instance}`;
export const unitOf = (instance: string): string => `${TEMPLATE_UNIT}${instance}.service`;

/** One pg_exporters entry as this infra host runs it: its local port, identity, and the env file it gets. */
export interface RemoteExporter {
  port: number;
  cls: string;
  instance: string;
  host: string;
  env: string;
}

/** The parameters an entry may override for itself (Pigsty's pg_exporters role takes each from the entry first). */
const OVERRIDES = [
  'pg_port',
  'pg_monitor_username',
  'pg_monitor_password',
  'pg_exporter_url',
  'pg_exporter_params',
  'pg_exporter_auto_discovery',
  'pg_exporter_include_database',
  'pg_exporter_exclude_database',
  'pg_exporter_connect_timeout',
] as const;

/**
 * The pg_exporters entries this run deploys: every one, or those of cluster `clsname` when it is given, each with the
 * env file of its exporter: the monitor user's connection to pg_host (instead of the local socket) on the entry's port.
 */
export function remoteExporters(v: RoleVars, clsname: string): RemoteExporter[] {
  return Object.entries(v.pg_exporters)
    .filter(([, e]) => clsname === '' || e.pg_cluster === clsname)
    .map(([key, e]: [string, RemotePgEntry]) => {
      const port = Number(key);
      if (!Number.isInteger(port) || port < 1024 || port > 65535)
        throw new Error(`pg_exporters key ${JSON.stringify(key)} is not a port from 1024 to 65535`);
      const own = Object.fromEntries(OVERRIDES.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]));
      const instance = `${e.pg_cluster}-${e.pg_seq}`;
      // The infra host's own pg_exporter_url names its local PostgreSQL: an entry has its own, or none.
      const env = pgExporterEnv({ ...v, pg_exporter_url: '', ...own, pg_localhost: e.pg_host, pg_exporter_port: port });
      return { port, cls: e.pg_cluster, instance, host: e.pg_host, env };
    })
    .sort((a, b) => a.port - b.port);
}

/** pgrds/<cls>.yml: the cluster's remote instances, each scraped at this infra host's exporter port. */
export function pgrdsTargets(infraIp: string, exporters: RemoteExporter[]): string {
  const groups: TargetGroup[] = exporters.map((x) => ({ labels: { cls: x.cls, ins: x.instance, ip: x.host }, targets: [`${infraIp}:${x.port}`] }));
  return renderTargets('pg_exporters', groups);
}

/** The clusters of these exporters, each once, in order. */
export const clustersOf = (exporters: RemoteExporter[]): string[] => [...new Set(exporters.map((x) => x.cls))].sort();
