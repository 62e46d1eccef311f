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

/**
 * Pigsty's node role (spec 2.5): name, /etc/hosts and resolver, SELinux/firewall, the CA in the trust store,
 * repositories and packages, kernel modules and tuning, profile, limits, data dir, the admin user, time and cron,
 * and the optional keepalived VIP. Run node_id first.
 */
export const node = role({
  name: 'node',
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
