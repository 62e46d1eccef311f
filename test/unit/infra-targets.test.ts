import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  etcdTargets,
  infraTargets,
  nodeTargets,
  patroniTargets,
  pgsqlTargets,
  pgVipTargets,
  pingTargets,
  renderTargets,
  targetFile,
} from '../../roles/infra/targets.ts';
import { scrapeConfig } from '../../roles/infra/scrape-config.ts';

const node = { ip: '10.10.10.11', nodename: 'pg-test-1', node_cluster: 'pg-test' };

describe('target files', () => {
  it('lists node_exporter and HAProxy under the node identity', () => {
    expect(YAML.parse(nodeTargets({ ...node, node_exporter: 9100, haproxy_exporter: 9101 }))).toEqual([
      { labels: { ip: '10.10.10.11', ins: 'pg-test-1', cls: 'pg-test' }, targets: ['10.10.10.11:9100', '10.10.10.11:9101'] },
    ]);
  });

  it('leaves out exporters that are not enabled, and writes no group without targets', () => {
    expect(YAML.parse(nodeTargets({ ...node, haproxy_exporter: 9101 }))).toEqual([{ labels: expect.any(Object), targets: ['10.10.10.11:9101'] }]);
    expect(YAML.parse(nodeTargets(node))).toBeNull();
  });

  it('pings the node by its address', () => {
    expect(YAML.parse(pingTargets(node))).toEqual([{ labels: { ip: '10.10.10.11', ins: 'pg-test-1', cls: 'pg-test' }, targets: ['10.10.10.11'] }]);
  });

  it("lists an instance's exporters and Patroni under Pigsty's cls, ins and ip, leaving out what does not run", () => {
    const pg = { ip: '10.10.10.12', cls: 'pg-test', ins: 'pg-test-2' };
    expect(YAML.parse(pgsqlTargets({ ...pg, pg_exporter: 9630, pgbouncer_exporter: 9631, patroni: 8008 }))).toEqual([
      { labels: { cls: 'pg-test', ins: 'pg-test-2', ip: '10.10.10.12' }, targets: ['10.10.10.12:9630'] },
      {
        labels: { cls: 'pg-test', ins: 'pg-test-2', ip: '10.10.10.12', __metrics_path__: '/metrics' },
        targets: ['10.10.10.12:9631', '10.10.10.12:8008'],
      },
    ]);
    expect(YAML.parse(pgsqlTargets({ ...pg, pg_exporter: 9630 }))).toEqual([{ labels: expect.any(Object), targets: ['10.10.10.12:9630'] }]);
    expect(YAML.parse(patroniTargets({ ...pg, patroni: 8008 }))).toEqual([
      { labels: { job: 'pgsql', cls: 'pg-test', ins: 'pg-test-2', ip: '10.10.10.12' }, targets: ['10.10.10.12:8008'] },
    ]);
    expect(YAML.parse(pgVipTargets({ ...pg, vip: '10.10.10.3' }))).toEqual([
      { labels: { cls: 'pg-test', ins: 'pg-test-2', ip: '10.10.10.12', vip: '10.10.10.3', job: 'pgsql-vip' }, targets: ['10.10.10.3'] },
    ]);
  });

  it('names the etcd member by its instance and cluster', () => {
    expect(YAML.parse(etcdTargets({ ip: '10.10.10.10', etcd_cluster: 'etcd', instance: 'etcd-1', etcd_port: 2379 }))).toEqual([
      { labels: { ip: '10.10.10.10', ins: 'etcd-1', cls: 'etcd' }, targets: ['10.10.10.10:2379'] },
    ]);
  });

  it('gives each infra component its own cls and ins', () => {
    const groups = YAML.parse(infraTargets({ ip: '10.10.10.10', infra_seq: 1, vmetrics: 8428, vmalert: 8880, blackbox: 9115 })) as {
      labels: Record<string, string>;
      targets: string[];
    }[];
    expect(groups.map((g) => [g.labels.cls, g.labels.ins, g.targets])).toEqual([
      ['vmetrics', 'vmetrics-1', ['10.10.10.10:8428']],
      ['vmalert', 'vmalert-1', ['10.10.10.10:8880']],
      ['blackbox', 'blackbox-1', ['10.10.10.10:9115']],
    ]);
  });

  it('quotes a label value YAML would read as something else, and refuses bad label and file names', () => {
    const text = renderTargets('test', [{ labels: { cls: 'a, b', ins: 'yes' }, targets: ['x:1'] }]);
    expect(YAML.parse(text, { version: '1.1' })).toEqual([{ labels: { cls: 'a, b', ins: 'yes' }, targets: ['x:1'] }]);
    expect(() => renderTargets('test', [{ labels: { 'bad-label': 'x' }, targets: [] }])).toThrow(/label name/);
    expect(() => targetFile('node', '../etc/passwd')).toThrow(/plain name/);
    expect(targetFile('etcd', 'etcd-1')).toBe('/infra/targets/etcd/etcd-1.yml');
  });
});

describe('scrape config', () => {
  const settings = { vmetrics_scrape_interval: '10s', vmetrics_scrape_timeout: '8s', exporter_metrics_path: '/metrics', blackbox_port: 9115 };

  it('reads each job from its target directory, with the global intervals', () => {
    const conf = YAML.parse(scrapeConfig(settings)) as { global: Record<string, string>; scrape_configs: Record<string, unknown>[] };
    expect(conf.global).toEqual({ scrape_interval: '10s', scrape_timeout: '8s' });
    expect(conf.scrape_configs.map((j) => j.job_name)).toEqual(['node', 'ping', 'etcd', 'infra', 'pgsql', 'pgrds', 'patroni', 'docker']);
    for (const job of conf.scrape_configs) expect(job.file_sd_configs).toEqual([{ files: [`/infra/targets/${String(job.job_name)}/*.yml`] }]);
  });

  it('probes ping targets through the local blackbox exporter, and scrapes etcd over TLS with the infra certificate', () => {
    const jobs = Object.fromEntries(
      (YAML.parse(scrapeConfig({ ...settings, blackbox_port: 9999 })).scrape_configs as Record<string, unknown>[]).map((j) => [j.job_name, j]),
    );
    expect(jobs.ping).toMatchObject({
      metrics_path: '/probe',
      params: { module: ['icmp'] },
      relabel_configs: [
        { source_labels: ['__address__'], target_label: '__param_target' },
        { source_labels: ['__param_target'], target_label: 'instance' },
        { target_label: '__address__', replacement: '127.0.0.1:9999' },
      ],
    });
    expect(jobs.etcd).toMatchObject({
      scheme: 'https',
      tls_config: { ca_file: '/etc/pki/ca.crt', cert_file: '/etc/pki/infra.crt', key_file: '/etc/pki/infra.key' },
    });
    expect(jobs.patroni).toMatchObject({ metrics_path: '/metrics', scheme: 'https', tls_config: { ca_file: '/etc/pki/ca.crt' } });
  });

  it('scrapes node and pgsql exporters at exporter_metrics_path, and refuses an interval that is no duration', () => {
    const jobs = Object.fromEntries(
      (YAML.parse(scrapeConfig({ ...settings, exporter_metrics_path: '/m' })).scrape_configs as Record<string, unknown>[]).map((j) => [
        j.job_name,
        j,
      ]),
    );
    expect([jobs.node?.metrics_path, jobs.pgsql?.metrics_path, jobs.infra?.metrics_path]).toEqual(['/m', '/m', '/metrics']);
    expect(() => scrapeConfig({ ...settings, vmetrics_scrape_interval: '10s\nx: 1' })).toThrow(/duration/);
  });
});
