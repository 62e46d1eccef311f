import { dropInPath } from '../systemd-dropin.ts';
import { envLine } from '../../engine/shell-quote.ts';
import { isHostAddress } from '../params.ts';
import type { RoleVars } from '../vars.ts';

/**
 * The EnvironmentFile a unit reads as $ARGS (or $VMALERT_OPTS), which systemd splits at whitespace into arguments:
 * each argument of ours must be one word, or a value in it (a host name with a space) would add flags of its own;
 * the user's *_options come last, split as written.
 */
function envFile(params: string, name: string, args: string[], options: string): string {
  for (const arg of args) {
    if (!/^[^\s\\"'$`]+$/.test(arg)) throw new Error(`${name}: the argument ${JSON.stringify(arg)} is not one word without quotes, $ or \\`);
  }
  return `# Written by Pigsty's infra role (${params}): the service's command line options.\n${envLine(name, [...args, options].join(' ').trim())}`;
}

/** Where the infra role keeps data and configs (Pigsty's /infra link to infra_data). */
export const INFRA_DIR = '/infra';
export const SCRAPE_CONFIG = `${INFRA_DIR}/prometheus.yml`;
export const RULES_DIR = `${INFRA_DIR}/rules`;
export const ALERTMANAGER_CONFIG = '/etc/alertmanager.yml';
export const BLACKBOX_CONFIG = '/etc/blackbox.yml';
/** The drop-in giving Debian's VictoriaMetrics unit the reload it lacks. */
export const VMETRICS_DROPIN = dropInPath('victoria-metrics');

/**
 * /etc/default/victoria-metrics: storage under infra_data, the scrape config, and a 5 s latency offset (VictoriaMetrics'
 * 30 s default delays every alert by half a minute) that vmetrics_options, last, may override (the last flag wins).
 */
export function vmetricsEnv(v: Pick<RoleVars, 'infra_data' | 'vmetrics_port' | 'vmetrics_options'>): string {
  return envFile(
    'vmetrics_port, vmetrics_options',
    'ARGS',
    [
      `-storageDataPath=${v.infra_data}/metrics`,
      `-httpListenAddr=:${v.vmetrics_port}`,
      `-promscrape.config=${SCRAPE_CONFIG}`,
      '-search.latencyOffset=5s',
    ],
    v.vmetrics_options,
  );
}

/**
 * /etc/default/vmalert: rules evaluated against the local VictoriaMetrics, alert state written back to it (so it
 * survives restarts), alerts sent to `notifiers`; without any notifier vmalert is given recording rules only.
 */
export function vmalertEnv(
  v: Pick<RoleVars, 'vmetrics_port' | 'vmalert_port' | 'vmetrics_scrape_interval' | 'vmalert_options'>,
  notifiers: string[],
): string {
  const vm = `http://127.0.0.1:${v.vmetrics_port}`;
  return envFile(
    'vmalert_port, vmalert_options',
    'VMALERT_OPTS',
    [
      `-httpListenAddr=:${v.vmalert_port}`,
      `-datasource.url=${vm}`,
      `-remoteRead.url=${vm}`,
      `-remoteWrite.url=${vm}`,
      ...notifiers.map((n) => `-notifier.url=${n}`),
      `-rule=${RULES_DIR}/*.yml`,
      `-evaluationInterval=${v.vmetrics_scrape_interval}`,
    ],
    v.vmalert_options,
  );
}

/** /etc/default/prometheus-alertmanager: Pigsty's port, data under infra_data, gossip off (no peers are ever given). */
export function alertmanagerEnv(v: Pick<RoleVars, 'infra_data' | 'alertmanager_port' | 'alertmanager_options'>): string {
  return envFile(
    'alertmanager_port, alertmanager_options',
    'ARGS',
    [
      `--config.file=${ALERTMANAGER_CONFIG}`,
      `--web.listen-address=:${v.alertmanager_port}`,
      '--cluster.listen-address=',
      `--storage.path=${v.infra_data}/alertmgr`,
    ],
    v.alertmanager_options,
  );
}

/** /etc/default/prometheus-blackbox-exporter: Pigsty's config path and port. */
export function blackboxEnv(v: Pick<RoleVars, 'blackbox_port' | 'blackbox_options'>): string {
  return envFile(
    'blackbox_port, blackbox_options',
    'ARGS',
    [`--config.file=${BLACKBOX_CONFIG}`, `--web.listen-address=:${v.blackbox_port}`],
    v.blackbox_options,
  );
}

/**
 * The Alertmanagers vmalert on an infra host notifies: its own when enabled, else those of the other infra hosts, by
 * their inventory names, which validation holds to addresses and host names (a name is refused here too).
 */
export function notifierUrls(v: Pick<RoleVars, 'alertmanager_enabled' | 'alertmanager_port' | 'groups' | 'hostvars'>): string[] {
  if (v.alertmanager_enabled) return [`http://127.0.0.1:${v.alertmanager_port}`];
  return (v.groups.infra ?? [])
    .filter((h) => v.hostvars[h]?.alertmanager_enabled !== false)
    .map((h) => {
      if (!isHostAddress(h))
        throw new Error(`infra host ${JSON.stringify(h)} is not an IPv4 address or a host name: it cannot be an Alertmanager URL`);
      return `http://${h}:${v.hostvars[h]?.alertmanager_port ?? v.alertmanager_port}`;
    });
}
