import type { RoleVars } from '../vars.ts';

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
