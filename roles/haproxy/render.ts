import { shq } from '../../engine/shell-quote.ts';
import { SINGLE_LINE, type HaproxyService } from '../params.ts';
import { stampCommand } from '../reloads.ts';

/** HAProxy's main file and the directory of one file per service, both loaded by the unit this role installs. */
export const HAPROXY_CFG = '/etc/haproxy/haproxy.cfg';
export const HAPROXY_CONF_DIR = '/etc/haproxy/conf.d';

/** The unit this role installs in place of the package's. */
export const HAPROXY_UNIT = '/etc/systemd/system/haproxy.service';

/** The config check the unit runs before (re)starting: haproxy.cfg plus every conf.d/*.cfg. */
export const HAPROXY_CHECK = ['/usr/sbin/haproxy', '-c', '-q', '-f', HAPROXY_CFG, '-f', HAPROXY_CONF_DIR];

/** What HAProxy loads: the main file and the service directory (its entries, and itself for files removed). */
export const HAPROXY_LOADED = [HAPROXY_CFG, HAPROXY_CONF_DIR];

/** Reload HAProxy (start it when it is down, as systemd's reloaded state does) and record that it loaded its files. */
export const HAPROXY_RELOAD = `systemctl reload-or-restart haproxy && ${stampCommand('haproxy')}`;

/** HAProxy's admin socket, as haproxy.cfg.hbs declares it. */
export const HAPROXY_SOCKET = '/run/haproxy.sock';

/** Pigsty's global maxconn. */
export const HAPROXY_MAXCONN = 65535;

/**
 * The global maxconn for a node whose services may open at most `hardNofile` files (systemd's own hard limit, which
 * caps the unit's LimitNOFILE): HAProxy needs about two descriptors per connection and refuses to start otherwise.
 * Pigsty's 65535 where the limit allows it (VMs, bare metal); less in containers with a low limit.
 */
export function haproxyMaxconn(hardNofile: string | undefined): number {
  const limit = hardNofile === undefined || hardNofile === 'unlimited' ? Infinity : Number(hardNofile);
  if (!Number.isFinite(limit) || limit <= 0) return HAPROXY_MAXCONN;
  return Math.max(100, Math.min(HAPROXY_MAXCONN, Math.floor((limit - 200) / 2)));
}

/** A value for haproxy.cfg as one double-quoted word: HAProxy expands $VARS and escapes inside double quotes. */
export const cfgQuote = (value: string): string => `"${value.replace(/[\\"$]/g, '\\$&')}"`;

/**
 * A shell script that waits until every server of the proxies named `<prefix>*` has a settled health: UP with a
 * passing last check, or plainly DOWN/MAINT/DRAIN. HAProxy starts (and reloads) with every server UP until `fall`
 * checks fail, so right after a reload a primary service would still send some connections to replicas.
 * Prints the unsettled servers and exits 1 after `timeout` seconds; exits 0 at once without socat.
 */
export function settleScript(prefix: string, timeout: number): string {
  // `show stat` is CSV: field 1 the proxy, 2 the server, 18 its status ("UP 1/3" while going down), 37 the last check.
  const unsettled = [
    `awk -F, -v p=${shq(prefix)} 'index($1, p) == 1 && $2 != "FRONTEND" && $2 != "BACKEND" &&`,
    `!(($18 == "UP" && $37 ~ /OK$/) || $18 ~ /^(DOWN|MAINT|DRAIN|NOLB)$/) { print $1 "/" $2 ": " $18 " " $37 }'`,
  ].join(' ');
  return [
    'command -v socat >/dev/null || exit 0',
    `end=$(( $(date +%s) + ${timeout} ))`,
    'while :; do',
    `  left=$(echo 'show stat' | socat stdio ${HAPROXY_SOCKET} | ${unsettled})`,
    '  [ -z "$left" ] && exit 0',
    `  [ "$(date +%s)" -lt "$end" ] || { echo "health checks not settled after ${timeout} s: $left" >&2; exit 1; }`,
    '  sleep 0.5',
    'done',
  ].join('\n');
}

/** Pigsty's default-server line for a service that gives none. */
export const DEFAULT_SERVER =
  'inter 3s fastinter 1s downinter 5s rise 3 fall 3 on-marked-down shutdown-sessions slowstart 30s maxconn 3000 maxqueue 128 weight 100';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** The conf.d file of a service: /etc/haproxy/conf.d/<name>.cfg (HAProxy reads the directory's *.cfg in name order). */
export function haproxyServicePath(name: string): string {
  if (!NAME.test(name)) throw new Error(`haproxy service name "${name}" must be letters, digits, _ . : - (it names a file and a proxy)`);
  return `${HAPROXY_CONF_DIR}/${name}.cfg`;
}

/** One backend server line: address, then backup / weight / free options when given. */
function serverLine(s: HaproxyService['servers'][number]): string {
  if (!NAME.test(s.name)) throw new Error(`haproxy server name "${s.name}" must be letters, digits, _ . : -`);
  if (!NAME.test(s.ip)) throw new Error(`haproxy server ${s.name}: address ${JSON.stringify(s.ip)} must be letters, digits, _ . : -`);
  if (!Number.isInteger(Number(s.port))) throw new Error(`haproxy server ${s.name}: port ${JSON.stringify(s.port)} must be a number`);
  if (s.options !== undefined && !new RegExp(SINGLE_LINE).test(s.options)) throw new Error(`haproxy server ${s.name}: options must be one line`);
  const words = [`server ${s.name} ${s.ip}:${s.port}`];
  if (s.backup) words.push('backup');
  if (s.weight !== undefined && s.weight >= 0 && s.weight < 256) words.push(`weight ${s.weight}`);
  if (s.options?.trim()) words.push(s.options.trim());
  return `    ${words.join(' ')}`;
}

/**
 * One haproxy_services entry as a `listen` section, the content of its conf.d file (spec 2.6): bind `ip` (*) and
 * `port`, `protocol` (tcp), `maxconn` (10000), `balance` (roundrobin), the raw `options` lines, `default` as the
 * default-server line (DEFAULT_SERVER), then the servers. `where` names the host in the header comment. The pgsql
 * role renders pg_services the same way, through this function, into haproxyServicePath(`<cluster>-<name>`).
 */
export function renderHaproxyService(service: HaproxyService, where = ''): string {
  haproxyServicePath(service.name);
  const lines = [
    `# service ${service.name}${where ? ` on ${where}` : ''}, port ${service.port}: rendered by Pigsty, edit the inventory instead`,
    `listen ${service.name}`,
    `    bind ${service.ip ?? '*'}:${service.port}`,
    `    mode ${service.protocol ?? 'tcp'}`,
    `    maxconn ${service.maxconn ?? 10000}`,
    `    balance ${service.balance ?? 'roundrobin'}`,
    ...(service.options ?? []).map((o) => `    ${o.trim()}`),
    `    default-server ${service.default ?? DEFAULT_SERVER}`,
    ...service.servers.map(serverLine),
  ];
  return `${lines.join('\n')}\n`;
}
