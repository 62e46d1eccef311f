import { yamlScalar } from '../../modules/template-helpers.ts';

/** The file_sd directories under /infra/targets, one per scrape job (Pigsty's list; the empty ones are harmless). */
export const TARGET_JOBS = [
  'node',
  'ping',
  'etcd',
  'infra',
  'pgsql',
  'pgrds',
  'patroni',
  'minio',
  'juice',
  'docker',
  'redis',
  'mysql',
  'mongo',
  'kafka',
] as const;
export type TargetJob = (typeof TARGET_JOBS)[number];

/** One group of a file_sd file: the labels VictoriaMetrics puts on every series of these targets. */
export interface TargetGroup {
  labels: Record<string, string>;
  targets: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** The path of a target file on an infra host; its name is an identity (ip, instance), checked to be one plain name. */
export function targetFile(job: TargetJob, name: string): string {
  if (!NAME.test(name)) throw new Error(`target file name ${JSON.stringify(name)} is not a plain name (letters, digits, _ . : -)`);
  return `/infra/targets/${job}/${name}.yml`;
}

/** A file_sd file: a header naming its writer, then each group in flow style with every value a safe scalar. */
export function renderTargets(writer: string, groups: TargetGroup[]): string {
  const flow = (s: string): string => yamlScalar(s, 'plain', true);
  const body = groups.map((g) => {
    const labels = Object.entries(g.labels).map(([k, val]) => {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) throw new Error(`label name ${JSON.stringify(k)} is not a Prometheus label name`);
      return `${k}: ${flow(val)}`;
    });
    return `- labels: { ${labels.join(', ')} }\n  targets: [ ${g.targets.map(flow).join(', ')} ]\n`;
  });
  return `# Written by ${writer} (roles of pigsty-ts); VictoriaMetrics reads it through file_sd.\n${body.join('')}`;
}

/** The identity a node's targets carry: Pigsty's ip, ins (the nodename) and cls (the node cluster). */
export interface NodeIdentity {
  ip: string;
  nodename: string;
  node_cluster: string;
}

const nodeLabels = (n: NodeIdentity): Record<string, string> => ({ ip: n.ip, ins: n.nodename, cls: n.node_cluster });

/** node/<ip>.yml: node_exporter and HAProxy's metrics endpoint where each runs. */
export function nodeTargets(n: NodeIdentity & { node_exporter?: number; haproxy_exporter?: number }): string {
  const targets = [n.node_exporter, n.haproxy_exporter].filter((p): p is number => p !== undefined).map((p) => `${n.ip}:${p}`);
  return renderTargets('node_monitor', targets.length > 0 ? [{ labels: nodeLabels(n), targets }] : []);
}

/** ping/<ip>.yml: the node's address, probed over ICMP by the infra node's blackbox exporter. */
export const pingTargets = (n: NodeIdentity): string => renderTargets('node_monitor', [{ labels: nodeLabels(n), targets: [n.ip] }]);

/** etcd/<instance>.yml: the member's client port (metrics over HTTPS). */
export const etcdTargets = (m: { ip: string; etcd_cluster: string; instance: string; etcd_port: number }): string =>
  renderTargets('etcd', [{ labels: { ip: m.ip, ins: m.instance, cls: m.etcd_cluster }, targets: [`${m.ip}:${m.etcd_port}`] }]);

/** The identity a PostgreSQL instance's targets carry: Pigsty's cls (the cluster), ins (the instance) and ip. */
export interface PgIdentity {
  ip: string;
  cls: string;
  ins: string;
}

const pgLabels = (p: PgIdentity): Record<string, string> => ({ cls: p.cls, ins: p.ins, ip: p.ip });

/**
 * pgsql/<ins>.yml: postgres_exporter, the pgbouncer exporter and Patroni's REST API (plain HTTP) where each runs. The
 * job scrapes exporter_metrics_path, which postgres_exporter serves; the other two serve only /metrics, which their
 * group says in __metrics_path__.
 */
export function pgsqlTargets(p: PgIdentity & { pg_exporter?: number; pgbouncer_exporter?: number; patroni?: number }): string {
  const at = (ports: (number | undefined)[]): string[] => ports.filter((port): port is number => port !== undefined).map((port) => `${p.ip}:${port}`);
  const groups: TargetGroup[] = [
    { labels: pgLabels(p), targets: at([p.pg_exporter]) },
    { labels: { ...pgLabels(p), __metrics_path__: '/metrics' }, targets: at([p.pgbouncer_exporter, p.patroni]) },
  ];
  return renderTargets(
    'pg_monitor',
    groups.filter((g) => g.targets.length > 0),
  );
}

/** patroni/<ins>.yml: Patroni's REST API over HTTPS, a job of its own for the TLS settings, its series labelled job=pgsql. */
export const patroniTargets = (p: PgIdentity & { patroni: number }): string =>
  renderTargets('pg_monitor', [{ labels: { job: 'pgsql', ...pgLabels(p) }, targets: [`${p.ip}:${p.patroni}`] }]);

/** ping/<vip>---<ip>.yml: the cluster's L2 VIP, probed from the infra node, labelled with the instance that registered it. */
export const pgVipTargets = (p: PgIdentity & { vip: string }): string =>
  renderTargets('pg_monitor', [{ labels: { ...pgLabels(p), vip: p.vip, job: 'pgsql-vip' }, targets: [p.vip] }]);

/** The infra components an infra host runs, each with its port (absent when disabled). */
export interface InfraComponents {
  ip: string;
  infra_seq: number;
  vmetrics?: number;
  vmalert?: number;
  alertmanager?: number;
  blackbox?: number;
}

/** infra/infra-<seq>.yml: one group per deployed component, labelled cls=<component>, ins=<component>-<seq>. */
export function infraTargets(c: InfraComponents): string {
  const components = (['vmetrics', 'vmalert', 'alertmanager', 'blackbox'] as const).filter((k) => c[k] !== undefined);
  return renderTargets(
    'infra',
    components.map((k) => ({ labels: { ip: c.ip, ins: `${k}-${c.infra_seq}`, cls: k }, targets: [`${c.ip}:${c[k] as number}`] })),
  );
}
