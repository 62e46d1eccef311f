import { yamlScalar } from '../../modules/template-helpers.ts';
import { TARGET_JOBS } from './targets.ts';

/** What the scrape config depends on, from the infra host's view of the parameters. */
export interface ScrapeSettings {
  vmetrics_scrape_interval: string;
  vmetrics_scrape_timeout: string;
  exporter_metrics_path: string;
  blackbox_port: number;
}

/** The client certificate VictoriaMetrics shows etcd, and the CA it checks etcd's with (the infra_cert step). */
export const INFRA_TLS = { ca_file: '/etc/pki/ca.crt', cert_file: '/etc/pki/infra.crt', key_file: '/etc/pki/infra.key' } as const;

const DURATION = /^[0-9]+(ms|s|m|h)$/;

/**
 * /infra/prometheus.yml: the global intervals and one job per target directory (Pigsty's set), each reading its
 * file_sd glob. `ping` probes through the local blackbox exporter; `etcd` scrapes over HTTPS with the infra cert;
 * `docker` targets count as node's, `patroni` ones (Patroni over HTTPS) as pgsql's. Jobs of modules not built here read directories that stay empty.
 */
export function scrapeConfig(s: ScrapeSettings): string {
  for (const [name, value] of [
    ['vmetrics_scrape_interval', s.vmetrics_scrape_interval],
    ['vmetrics_scrape_timeout', s.vmetrics_scrape_timeout],
  ] as const) {
    if (!DURATION.test(value)) throw new Error(`${name} ${JSON.stringify(value)} is not a duration such as 10s`);
  }
  const q = (v: string): string => yamlScalar(v);
  const sd = (job: string): string[] => ['    file_sd_configs:', `      - files: [ ${q(`/infra/targets/${job}/*.yml`)} ]`];
  const tls = ['    scheme: https', '    tls_config:', ...Object.entries(INFRA_TLS).map(([k, v]) => `      ${k}: ${q(v)}`)];
  const jobs: Record<string, string[]> = {
    ping: [
      '    metrics_path: /probe',
      '    params: { module: [ icmp ] }',
      ...sd('ping'),
      '    relabel_configs:',
      '      - { source_labels: [ __address__ ], target_label: __param_target }',
      '      - { source_labels: [ __param_target ], target_label: instance }',
      `      - { target_label: __address__, replacement: ${q(`127.0.0.1:${s.blackbox_port}`)} }`,
    ],
    infra: ['    metrics_path: /metrics', ...sd('infra')],
    node: [`    metrics_path: ${q(s.exporter_metrics_path)}`, ...sd('node')],
    docker: ['    metrics_path: /metrics', ...sd('docker'), '    relabel_configs:', '      - { target_label: job, replacement: node }'],
    etcd: ['    metrics_path: /metrics', ...tls, ...sd('etcd')],
    pgsql: [`    metrics_path: ${q(s.exporter_metrics_path)}`, ...sd('pgsql')],
    // Patroni's REST API over HTTPS (patroni_ssl_enabled); its target files label the series job=pgsql, as Pigsty's.
    patroni: ['    metrics_path: /metrics', ...tls, ...sd('patroni')],
    pgrds: [`    metrics_path: ${q(s.exporter_metrics_path)}`, ...sd('pgrds')],
  };
  const names = TARGET_JOBS.filter((j) => j in jobs);
  return [
    "# Written by Pigsty's infra role: VictoriaMetrics' scrape jobs, each reading /infra/targets/<job>/*.yml.",
    'global:',
    `  scrape_interval: ${q(s.vmetrics_scrape_interval)}`,
    `  scrape_timeout: ${q(s.vmetrics_scrape_timeout)}`,
    'scrape_configs:',
    ...names.flatMap((job) => [`  - job_name: ${job}`, ...(jobs[job] as string[])]),
    '',
  ].join('\n');
}
