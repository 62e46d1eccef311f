import { withAdminIp } from '../admin-ip.ts';
import { isHostAddress, isIpv4 } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { INFRA_DIR } from './service-env.ts';

/** dnsmasq's hosts directory (Pigsty's /infra/hosts): every file in it is read, and re-read on change through inotify. */
export const HOSTS_DIR = `${INFRA_DIR}/hosts`;
export const DNSMASQ_CONF = '/etc/dnsmasq.conf';

const RECORD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The path of a record file on an infra host; its name is an identity (instance, cluster), checked to be one plain name. */
export function hostsFile(name: string): string {
  if (!RECORD_NAME.test(name)) throw new Error(`DNS record file name ${JSON.stringify(name)} is not a plain name (letters, digits, _ . -)`);
  return `${HOSTS_DIR}/${name}`;
}

/** One hosts line: the address, then the names, each checked to be what its place takes. */
export function hostsLine(address: string, names: string[]): string {
  if (!isIpv4(address)) throw new Error(`DNS record address ${JSON.stringify(address)} is not an IPv4 address`);
  for (const name of names) {
    if (!isHostAddress(name) || isIpv4(name)) throw new Error(`DNS record name ${JSON.stringify(name)} is not a host name`);
  }
  return `${address} ${names.join(' ')}\n`;
}

/**
 * /etc/dnsmasq.conf on an infra host: the hosts directory only (not /etc/hosts), on the loopback and the host's own
 * address. Debian's unit already runs dnsmasq as user dnsmasq and reads /etc/dnsmasq.d; upstream servers come from
 * /etc/resolv.conf, whose entries for this host's own addresses dnsmasq skips.
 */
export function dnsmasqConf(v: Pick<RoleVars, 'inventory_hostname' | 'dns_port'>): string {
  if (!isIpv4(v.inventory_hostname))
    throw new Error(`dnsmasq listens on the infra host's address; ${JSON.stringify(v.inventory_hostname)} is not one`);
  return [
    "# Written by Pigsty's infra role (dns_port): dnsmasq answers for the records under /infra/hosts.",
    `hostsdir=${HOSTS_DIR}`,
    'no-hosts',
    `listen-address=127.0.0.1,${v.inventory_hostname}`,
    'bind-interfaces',
    `port=${v.dns_port}`,
    '',
  ].join('\n');
}

/** /infra/hosts/default: the dns_records lines, ${admin_ip} replaced by the admin node's address. */
export function defaultRecords(v: Pick<RoleVars, 'dns_records' | 'admin_ip'>): string {
  const lines = v.dns_records.map((record) => {
    const [address, ...names] = withAdminIp(record, v.admin_ip).split(/ +/);
    return hostsLine(address ?? '', names);
  });
  return `# Written by Pigsty's infra role from dns_records.\n${lines.join('')}`;
}
