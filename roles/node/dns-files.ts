import type { ParamVars } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { withAdminIp } from '../admin-ip.ts';

//------------------------------------------------------------------ reading a file back

/** The file a `present`/`missing` read printed, or undefined when it is missing. */
export function readBack(stdout: string | undefined): string | undefined {
  const out = stdout ?? '';
  if (!out.startsWith('present')) return undefined;
  return out.slice('present\n'.length);
}

/** A command that prints `present` and the file, or `missing`. */
export const readScript = (path: string) => `if [ -f ${path} ]; then echo present; cat ${path}; else echo missing; fi`;

//------------------------------------------------------------------ /etc/hosts

export const DNS_MARK = '# pigsty dns';
export const META_MARK = '# pigsty meta';

/** What a host file starts with when the node has none (a bare container): the loopback names every system expects. */
export const HOSTS_BASE = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';

/** The static records Pigsty owns in /etc/hosts: node_default_etc_hosts + node_etc_hosts, each marked `# pigsty dns`. */
export function dnsRecords(v: Pick<ParamVars, 'node_default_etc_hosts' | 'node_etc_hosts' | 'admin_ip'>): string[] {
  return [...v.node_default_etc_hosts, ...v.node_etc_hosts].map((r) => `${withAdminIp(r.trim(), v.admin_ip)} ${DNS_MARK}`);
}

/** Hosts of this play (those node_id probed), with their IP and nodename, for nodename_exchange. */
export function playHosts(v: Pick<RoleVars, 'hostvars'>): { ip: string; nodename: string | undefined }[] {
  return Object.entries(v.hostvars)
    .filter(([, h]) => h.node_hostname !== undefined)
    .map(([ip, h]) => ({ ip, nodename: h.nodename }));
}

/** nodename_exchange: one `<ip> <nodename> # pigsty meta` record per play host. */
export function metaRecords(hosts: { ip: string; nodename: string | undefined }[]): string[] {
  return hosts.filter((h) => h.nodename).map((h) => `${h.ip} ${h.nodename} ${META_MARK}`);
}

/**
 * /etc/hosts with Pigsty's records: every `# pigsty dns` line is replaced by `dns` at the end (as Pigsty wipes and
 * re-appends them), `meta` records are added where missing and never removed; other lines stay as they are.
 * A missing file (undefined) starts from the loopback names.
 */
export function etcHosts(current: string | undefined, dns: string[], meta: string[]): string {
  const base = current ?? HOSTS_BASE;
  const lines = base.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept = lines.filter((l) => !l.trimEnd().endsWith(DNS_MARK));
  const missingMeta = meta.filter((m) => !kept.some((l) => l.trim() === m));
  const all = [...kept, ...missingMeta, ...dns];
  return all.length ? `${all.join('\n')}\n` : '';
}

//------------------------------------------------------------------ /etc/resolv.conf

/** The first three nameserver addresses of a resolv.conf. */
export function nameserversOf(resolvConf: string): string[] {
  return resolvConf
    .split('\n')
    .map((l) => /^nameserver\s+([0-9.]+)/.exec(l.trim())?.[1])
    .filter((ip): ip is string => ip !== undefined)
    .slice(0, 3);
}

/**
 * /etc/resolv.conf as Pigsty writes it: node_dns_options, then node_dns_servers, then (method add) the old
 * nameservers that are neither listed nor the admin node.
 */
export function resolvConf(v: Pick<ParamVars, 'node_dns_method' | 'node_dns_servers' | 'node_dns_options' | 'admin_ip'>, current: string): string {
  const servers = v.node_dns_servers.map((s) => withAdminIp(s.trim(), v.admin_ip));
  const kept = v.node_dns_method === 'add' ? nameserversOf(current).filter((ip) => !servers.includes(ip) && ip !== v.admin_ip) : [];
  const lines = [...v.node_dns_options, ...[...servers, ...kept].map((ip) => `nameserver ${ip}`)];
  return lines.length ? `${lines.join('\n')}\n` : '';
}
