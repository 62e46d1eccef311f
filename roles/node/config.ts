import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ParamVars } from '../params.ts';
import type { RoleVars } from '../vars.ts';

/** Pigsty writes `${admin_ip}` in inventory strings for the admin node's address. */
export const withAdminIp = (text: string, adminIp: string | undefined): string => (adminIp === undefined ? text : text.replaceAll('${admin_ip}', adminIp));

//------------------------------------------------------------------ /etc/hosts

export const DNS_MARK = '# pigsty dns';
export const META_MARK = '# pigsty meta';

/** What a host file starts with when the node has none (a bare container): the loopback names every system expects. */
export const HOSTS_BASE = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';

/** The static records Pigsty owns in /etc/hosts: node_default_etc_hosts + node_etc_hosts, each marked `# pigsty dns`. */
export function dnsRecords(v: Pick<ParamVars, 'node_default_etc_hosts' | 'node_etc_hosts' | 'admin_ip'>): string[] {
  return [...v.node_default_etc_hosts, ...v.node_etc_hosts].map((r) => `${withAdminIp(r.trim(), v.admin_ip)} ${DNS_MARK}`);
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

//------------------------------------------------------------------ kernel parameters

export type TuneProfile = 'oltp' | 'olap' | 'crit' | 'tiny';
export type Sysctl = Record<string, string | number>;

type MemoryFacts = Pick<RoleVars, 'node_mem_bytes' | 'node_pages' | 'node_page_size' | 'node_overcommit_ratio'>;

/**
 * The kernel parameters of Pigsty's tuned profile `profile` (the [sysctl] part of roles/node/templates/tuned-*.conf),
 * computed for the node's memory: shared memory limits are 75 % of RAM; a positive node_overcommit_ratio turns strict
 * overcommit on. Keys are in the order the profiles list them.
 */
export function tuneSysctl(profile: TuneProfile, facts: MemoryFacts): Sysctl {
  const mem = facts.node_mem_bytes ?? 0;
  const pages = facts.node_pages ?? Math.floor(mem / (facts.node_page_size ?? 4096));
  const overcommit = facts.node_overcommit_ratio;
  const tiny = profile === 'tiny';
  const olap = profile === 'olap';
  const crit = profile === 'crit';
  const pick = <T>(values: Record<TuneProfile, T>): T => values[profile];

  const s: Sysctl = {
    'kernel.numa_balancing': 0,
    'kernel.sched_autogroup_enabled': 0,
    'kernel.shmall': Math.floor(pages * 0.75),
    'kernel.shmmax': Math.floor(mem * 0.75),
    'kernel.shmmni': 8192,
  };
  if (!tiny) {
    Object.assign(s, {
      'kernel.msgmni': 32768,
      'kernel.msgmnb': 65536,
      'kernel.msgmax': 65536,
      'kernel.pid_max': 131072,
      'kernel.sem': '4096 524288 2048 8192',
    });
  }
  s['vm.swappiness'] = tiny ? 10 : 1;
  s['vm.zone_reclaim_mode'] = 0;
  if (overcommit > 0) {
    s['vm.overcommit_memory'] = 2;
    s['vm.overcommit_ratio'] = overcommit;
  } else if (!olap) {
    // OLAP leaves overcommit at the kernel's default unless asked.
    s['vm.overcommit_memory'] = 0;
    s['vm.overcommit_ratio'] = tiny ? 200 : 100;
  }
  s['vm.dirty_background_ratio'] = pick({ oltp: 3, olap: 10, crit: 1, tiny: 5 });
  s['vm.dirty_ratio'] = pick({ oltp: 15, olap: 80, crit: 5, tiny: 30 });
  if (profile === 'oltp' || crit) {
    s['vm.dirty_expire_centisecs'] = crit ? 100 : 500;
    s['vm.dirty_writeback_centisecs'] = 100;
  }
  s['vm.mmap_min_addr'] = 65536;
  s['fs.file-max'] = pick({ oltp: 16777216, olap: 134217728, crit: 16777216, tiny: 8388608 });
  s['fs.aio-max-nr'] = 1048576;

  const bufMax = olap ? 16777216 : 4194304;
  const tcpMax = olap ? 33554432 : 16777216;
  Object.assign(s, {
    'net.core.somaxconn': tiny ? 8192 : 65535,
    'net.core.netdev_max_backlog': tiny ? 2048 : 8192,
    'net.core.rmem_default': 262144,
    'net.core.wmem_default': 262144,
    'net.core.rmem_max': bufMax,
    'net.core.wmem_max': bufMax,
    'net.ipv4.tcp_rmem': `4096 87380 ${tcpMax}`,
    'net.ipv4.tcp_wmem': `4096 16384 ${tcpMax}`,
    'net.ipv4.udp_mem': `3145728 4194304 ${tcpMax}`,
    'net.ipv4.ping_group_range': '0 65535',
    'net.ipv4.ip_forward': 1,
    'net.ipv4.ip_nonlocal_bind': 1,
    'net.ipv4.tcp_timestamps': 1,
    'net.ipv4.tcp_syncookies': olap || crit ? 1 : 0,
    'net.ipv4.ip_local_port_range': '10000 64999',
    'net.ipv4.tcp_tw_reuse': olap ? 0 : 1,
    'net.ipv4.tcp_synack_retries': crit ? 2 : 3,
    'net.ipv4.tcp_syn_retries': crit ? 2 : 3,
    'net.ipv4.tcp_keepalive_time': olap ? 300 : 60,
    'net.ipv4.tcp_keepalive_intvl': olap ? 60 : 20,
    'net.ipv4.tcp_keepalive_probes': olap ? 5 : 3,
    'net.ipv4.tcp_fin_timeout': pick({ oltp: 15, olap: 60, crit: 30, tiny: 30 }),
    'net.ipv4.tcp_max_tw_buckets': 262144,
    'net.ipv4.tcp_max_syn_backlog': tiny ? 4096 : 8192,
    'net.netfilter.nf_conntrack_max': tiny ? 65536 : 524288,
  });
  return s;
}

/**
 * vm.nr_hugepages (2 MiB pages) as Pigsty computes it: node_hugepage_count when positive (at most 90 % of RAM),
 * else node_hugepage_ratio of RAM when between 0 and 0.9, else 0.
 */
export function hugepages(v: Pick<RoleVars, 'node_hugepage_count' | 'node_hugepage_ratio' | 'node_mem_bytes'>): number {
  const pagesInRam = (v.node_mem_bytes ?? 0) / 2097152;
  const count = v.node_hugepage_count;
  if (count > 0) return count >= pagesInRam * 0.9 ? Math.ceil(pagesInRam * 0.9) : count;
  const ratio = v.node_hugepage_ratio;
  return ratio > 0 && ratio < 0.9 ? Math.ceil(pagesInRam * ratio) : 0;
}

//------------------------------------------------------------------ packages and repositories

/**
 * Debian 12's default node packages when neither node_default_packages nor the OS vars' node_packages_default is
 * set: a modest subset of Pigsty's d12 list, only packages Debian ships (no pig, uv, vector; tuned, keepalived,
 * etcd and haproxy come with the roles that use them).
 */
export const NODE_PACKAGES_D12: readonly string[] = [
  'lz4,unzip,bzip2,pv,jq,lsof,rsync,acl,sysstat,psmisc',
  'python3,socat,net-tools,ca-certificates,openssl,chrony,cron',
  'bind9-dnsutils,iproute2,iputils-ping,netcat-openbsd,procps,vim-tiny,openssh-server,openssh-client',
];

type RepoItem = NonNullable<ParamVars['repo_upstream']>[number];

/**
 * The apt source lines of one node_repo_modules item: the repo_upstream entries of that module for the node's
 * release and architecture, each `deb [trusted=yes] <url>` with the region's URL when it has one.
 */
export function aptSourceLines(
  module: string,
  repos: RepoItem[],
  v: Pick<RoleVars, 'os_version' | 'os_arch' | 'os_codename' | 'os_vendor' | 'region' | 'admin_ip'>,
): string[] {
  return repos
    .filter((r) => r.module === module && r.releases.includes(v.os_version ?? -1) && (r.arch as string[]).includes(v.os_arch ?? ''))
    .map((r) => {
      const url = r.baseurl[v.region] ? (r.baseurl[v.region] as string) : (r.baseurl.default ?? '');
      const line = withAdminIp(url, v.admin_ip).replaceAll('${distro_codename}', v.os_codename ?? '').replaceAll('${distro_name}', v.os_vendor ?? '');
      return `# ${r.name}: ${r.description ?? ''}\ndeb [trusted=yes] ${line}`;
    });
}

//------------------------------------------------------------------ admin, crontab

/** The public keys in the controller user's ~/.ssh/id*.pub, one per file (Pigsty's node_admin_pk_current). */
export function controllerPublicKeys(dir = join(homedir(), '.ssh')): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^id.*\.pub$/.test(n))
    .sort()
    .map((n) => readFileSync(join(dir, n), 'utf8').trim())
    .filter(Boolean);
}

/** /etc/crontab when node_crontab_overwrite: the environment cron needs, a reminder of the fields, then the entries. */
export function crontabContent(entries: string[]): string {
  return [
    'SHELL=/bin/bash',
    'PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin',
    'MAILTO=root',
    '',
    '# Written by Pigsty from node_crontab (node_crontab_overwrite: true): edit the inventory, not this file.',
    '# minute hour day-of-month month day-of-week user command',
    ...entries,
    '',
  ].join('\n');
}

/** /etc/profile.d/node.alias.sh for node_aliases. */
export function aliasScript(aliases: Record<string, string>): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;
  // The name is written unquoted (a quoted one is not an alias name): one with ; or a newline would run at every login.
  const name = (k: string) => {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.:+@%-]*$/.test(k)) throw new Error(`node_aliases: ${JSON.stringify(k)} is not an alias name (letters, digits and _ . : + @ % -)`);
    return k;
  };
  return ['# shell aliases from node_aliases, written by Pigsty', ...Object.entries(aliases).map(([k, cmd]) => `alias ${name(k)}=${quote(cmd)}`), ''].join('\n');
}
