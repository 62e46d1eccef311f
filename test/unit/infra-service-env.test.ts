import { describe, expect, it } from 'vitest';
import { alertmanagerTasks } from '../../roles/infra/tasks/alertmanager.ts';
import { blackboxTasks } from '../../roles/infra/tasks/blackbox.ts';
import { certTasks } from '../../roles/infra/tasks/cert.ts';
import { victoriaTasks } from '../../roles/infra/tasks/victoria.ts';
import type { InfraVars } from '../../roles/infra/infra-vars.ts';
import { alertmanagerEnv, blackboxEnv, notifierUrls, vmalertEnv, vmetricsEnv } from '../../roles/infra/service-env.ts';
import { optionalNotice } from '../../roles/infra/infra-packages.ts';
import { nodeExporterEnv } from '../../roles/node_monitor/node-exporter-env.ts';
import type { RoleVars } from '../../roles/vars.ts';
import { pgHost } from './role-host.ts';
import { tasksOf } from './role-tasks.ts';

const argsOf = (text: string): string => /^[A-Z_]+="(.*)"$/m.exec(text)?.[1] ?? '';

describe('infra env files', () => {
  it('gives VictoriaMetrics its storage, scrape config and a 5 s latency offset that vmetrics_options may override', () => {
    const env = vmetricsEnv({ infra_data: '/data/infra', vmetrics_port: 8428, vmetrics_options: '-retentionPeriod=15d -search.latencyOffset=1s' });
    expect(argsOf(env)).toBe(
      '-storageDataPath=/data/infra/metrics -httpListenAddr=:8428 -promscrape.config=/infra/prometheus.yml -search.latencyOffset=5s -retentionPeriod=15d -search.latencyOffset=1s',
    );
  });

  it('escapes what the shell-like EnvironmentFile parser would expand', () => {
    expect(vmetricsEnv({ infra_data: '/d', vmetrics_port: 1, vmetrics_options: '-x="$HOME`id`\\"' })).toContain('-x=\\"\\$HOME\\`id\\`\\\\\\""');
  });

  it('refuses an argument of ours that systemd would split into several, and a control character anywhere', () => {
    expect(() => vmetricsEnv({ infra_data: '/data/in fra', vmetrics_port: 1, vmetrics_options: '' })).toThrow(
      'ARGS: the argument "-storageDataPath=/data/in fra/metrics" is not one word without quotes, $ or \\',
    );
    expect(() => blackboxEnv({ blackbox_port: 9115, blackbox_options: '--log.level=warn\n--x' })).toThrow(
      'ARGS: the value has a control character, which an EnvironmentFile line cannot hold',
    );
    expect(nodeExporterEnv({ node_exporter_port: 9100, exporter_metrics_path: '/metrics', node_exporter_options: '--x="$y"' })).toContain(
      'ARGS="--web.listen-address=:9100 --web.telemetry-path=/metrics --x=\\"\\$y\\""\n',
    );
  });

  it("names other infra hosts' Alertmanagers by address or host name only, never a name that would add flags", () => {
    const v = (infra: string[]) =>
      ({
        alertmanager_enabled: false,
        alertmanager_port: 9059,
        groups: { infra },
        hostvars: Object.fromEntries(infra.map((h) => [h, {}])),
      }) as unknown as RoleVars;
    expect(notifierUrls(v(['10.10.10.10', 'infra-2.example']))).toEqual(['http://10.10.10.10:9059', 'http://infra-2.example:9059']);
    expect(() => notifierUrls(v(['10.10.10.10', 'meta -rule=/tmp/x.yml']))).toThrow(
      'infra host "meta -rule=/tmp/x.yml" is not an IPv4 address or a host name: it cannot be an Alertmanager URL',
    );
  });

  it('points vmalert at the local VictoriaMetrics and each notifier, evaluating every scrape interval', () => {
    const env = vmalertEnv({ vmetrics_port: 8428, vmalert_port: 8880, vmetrics_scrape_interval: '10s', vmalert_options: '' }, [
      'http://127.0.0.1:9059',
    ]);
    expect(env).toMatch(/^VMALERT_OPTS="/m);
    expect(argsOf(env)).toBe(
      '-httpListenAddr=:8880 -datasource.url=http://127.0.0.1:8428 -remoteRead.url=http://127.0.0.1:8428 -remoteWrite.url=http://127.0.0.1:8428 ' +
        '-notifier.url=http://127.0.0.1:9059 -rule=/infra/rules/*.yml -evaluationInterval=10s',
    );
  });

  it('runs Alertmanager alone on its port with data under infra_data, and blackbox with Pigsty config path', () => {
    expect(argsOf(alertmanagerEnv({ infra_data: '/data/infra', alertmanager_port: 9059, alertmanager_options: '--log.level=warn' }))).toBe(
      '--config.file=/etc/alertmanager.yml --web.listen-address=:9059 --cluster.listen-address= --storage.path=/data/infra/alertmgr --log.level=warn',
    );
    expect(argsOf(blackboxEnv({ blackbox_port: 9115, blackbox_options: '' }))).toBe('--config.file=/etc/blackbox.yml --web.listen-address=:9115');
  });

  const tasks = tasksOf<InfraVars>([...certTasks, ...victoriaTasks, ...alertmanagerTasks, ...blackboxTasks]);
  /** The path, owner, group and mode a file task of the infra role writes. */
  const written = (name: string, extra: Record<string, unknown> = {}) => {
    const v = pgHost({ inventory_hostname: '10.10.10.10', infra_seq: 1, groups: { infra: ['10.10.10.10'] }, ...extra }) as InfraVars;
    const args = tasks.get(name)?.args;
    const { dest, owner, group, mode } = (typeof args === 'function' ? args(v, undefined as never) : args) as Record<string, string>;
    return `${dest} ${owner}:${group} ${mode}`;
  };

  it("lets only root and the service's group read each options file, which may hold a password", () => {
    expect(
      ['configure VictoriaMetrics', 'configure vmalert', 'configure Alertmanager', 'configure the blackbox exporter'].map((name) => written(name)),
    ).toEqual([
      '/etc/default/victoria-metrics root:_victoria-metrics 0640',
      '/etc/default/vmalert root:_victoria-metrics 0640',
      '/etc/default/prometheus-alertmanager root:prometheus 0640',
      '/etc/default/prometheus-blackbox-exporter root:prometheus 0640',
    ]);
  });

  it('keeps the configs Alertmanager and the blackbox exporter only read root-owned, readable by their group', () => {
    expect(['render the Alertmanager routing', 'render the blackbox probe modules'].map((name) => written(name))).toEqual([
      '/etc/alertmanager.yml root:prometheus 0640',
      '/etc/blackbox.yml root:prometheus 0640',
    ]);
  });

  it('lets VictoriaMetrics alone read the infra key, the one service that uses it', () => {
    expect(written('copy the infra key')).toBe('/etc/pki/infra.key root:_victoria-metrics 0640');
    expect(written('copy the infra key', { vmetrics_enabled: false })).toBe('/etc/pki/infra.key root:root 0640');
  });

  it("notifies the host's own Alertmanager, else the other infra hosts' enabled ones, else none", () => {
    const hostvars = { a: { alertmanager_enabled: false, alertmanager_port: 9059 }, b: { alertmanager_enabled: true, alertmanager_port: 9000 } };
    const v = { alertmanager_enabled: true, alertmanager_port: 9059, groups: { infra: ['a', 'b'] }, hostvars } as unknown as RoleVars;
    expect(notifierUrls(v)).toEqual(['http://127.0.0.1:9059']);
    expect(notifierUrls({ ...v, alertmanager_enabled: false })).toEqual(['http://b:9000']);
    expect(notifierUrls({ ...v, alertmanager_enabled: false, groups: { infra: ['a'] } })).toEqual([]);
  });
});

describe('optional infra packages', () => {
  it('names the packages without a candidate as skipped and the others as not deployed yet', () => {
    expect(optionalNotice('grafana (none)\nvictoria-logs \nvictoria-traces \nvector 0.34.1-1\n')).toBe(
      "grafana, victoria-logs, victoria-traces: skipped, no package in this node's repositories (Pigsty's infra repository or the vendor's provides them); vector: available here, not deployed by this project yet",
    );
  });
});
