import { dsl } from '../../engine/dsl.ts';
import { shell } from '../../modules/shell.ts';
import { PROBE_VIRT, type NodeVars } from './dsl.ts';
import { adminTasks, profileTasks } from './tasks-admin.ts';
import { hostsTasks, nameTasks, resolvTasks } from './tasks-dns.ts';
import { pkgTasks, repoTasks } from './tasks-pkg.ts';
import { caTasks, secTasks } from './tasks-sec.ts';
import { timeTasks } from './tasks-time.ts';
import { featureTasks, kernelTasks, sysctlTasks, tuneTasks } from './tasks-tune.ts';
import { vipTasks } from './tasks-vip.ts';

const { task, role } = dsl<NodeVars>();

/** Pigsty v4.0's node defaults, on Debian 12 (node_default_packages falls back to NODE_PACKAGES_D12 in config.ts). */
export const NODE_DEFAULTS = {
  node_write_etc_hosts: true,
  node_default_etc_hosts: ['${admin_ip} i.pigsty'],
  node_etc_hosts: [],
  node_dns_method: 'add',
  node_dns_servers: ['${admin_ip}'],
  node_dns_options: ['options single-request-reopen timeout:1'],
  node_repo_modules: 'local',
  node_repo_remove: true,
  node_packages: ['openssh-server'],
  node_uv_env: '/data/venv',
  node_pip_packages: '',
  node_selinux_mode: 'permissive',
  node_firewall_mode: 'none',
  node_firewall_intranet: ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12'],
  node_firewall_public_port: [22, 80, 443, 5432],
  node_disable_numa: false,
  node_disable_swap: false,
  node_static_network: true,
  node_disk_prefetch: false,
  node_kernel_modules: ['softdog', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh'],
  node_hugepage_count: 0,
  node_hugepage_ratio: 0,
  node_overcommit_ratio: 0,
  node_tune: 'oltp',
  node_sysctl_params: {},
  node_data: '/data',
  node_admin_enabled: true,
  node_admin_uid: 88,
  node_admin_username: 'dba',
  node_admin_sudo: 'nopass',
  node_admin_ssh_exchange: true,
  node_admin_pk_current: true,
  node_admin_pk_list: [],
  node_aliases: {},
  node_timezone: '',
  node_ntp_enabled: true,
  node_ntp_servers: ['pool pool.ntp.org iburst'],
  node_crontab_overwrite: true,
  node_crontab: [],
  vip_enabled: false,
  vip_role: 'backup',
  vip_preempt: false,
  vip_interface: 'eth0',
  vip_dns_suffix: '',
  vip_auth_pass: '',
  region: 'default',
  cert_validity: '7300d',
} satisfies Partial<NodeVars>;

/**
 * Pigsty's node role (spec 2.5): name, /etc/hosts and resolver, SELinux/firewall, the CA in the trust store,
 * repositories and packages, kernel modules and tuning, profile, limits, data dir, the admin user, time and cron,
 * and the optional keepalived VIP. Run node_id first.
 */
export const node = role({
  name: 'node',
  defaults: NODE_DEFAULTS,
  tasks: [
    task('probe the virtualization and clock capability', shell, { cmd: PROBE_VIRT }, {
      tags: ['node_feature', 'node_kernel', 'node_tune', 'node_sysctl', 'node_ntp', 'node_ntp_config'],
      check_mode: false,
      changed_when: () => false,
      register: 'node_virt',
    }),
    ...nameTasks,
    ...hostsTasks,
    ...resolvTasks,
    ...secTasks,
    ...caTasks,
    ...repoTasks,
    ...pkgTasks,
    ...featureTasks,
    ...kernelTasks,
    ...tuneTasks,
    ...sysctlTasks,
    ...profileTasks,
    ...adminTasks,
    ...timeTasks,
    ...vipTasks,
  ],
});
