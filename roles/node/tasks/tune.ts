import { dsl } from '../../../engine/dsl.ts';
import { shq } from '../../../engine/shell-quote.ts';
import { copy } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import { shell } from '../../../modules/shell.ts';
import { sysctl } from '../../../modules/sysctl.ts';
import { hugepages, tuneSysctl, type TuneProfile } from '../kernel-params.ts';
import type { NodeVars } from '../node-vars.ts';
import { notice } from '../notice.ts';
import { containerOf } from '../virt-probe.ts';

const { task, include } = dsl<NodeVars>();

export const TUNE_FILE = '/etc/sysctl.d/90-pigsty-tune.conf';
export const HUGEPAGE_FILE = '/etc/sysctl.d/hugepage.conf';
export const SYSCTL_FILE = '/etc/sysctl.d/95-pigsty-sysctl.conf';

const rpm = (v: NodeVars) => v.os_package === 'rpm';

/** Modules of node_kernel_modules the probe found not loaded (one name a line). */
const missingModules = (v: NodeVars): string[] =>
  (v.node_kernel_missing?.stdout ?? '')
    .split('\n')
    .map((m) => m.trim())
    .filter(Boolean);

/** Live kernel values are not ours to set in a container: /proc/sys belongs to the host there. */
const applyLive = (v: NodeVars): boolean => containerOf(v) === undefined;

const featureTasks = [
  include(
    'node features',
    [
      notice(
        'NUMA is left on',
        (v) =>
          containerOf(v)
            ? `node_disable_numa skipped: in a ${containerOf(v)} container the kernel command line is the host's.`
            : 'node_disable_numa skipped: add numa=off transparent_hugepage=never to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot.',
        { when: (v) => v.node_disable_numa },
      ),
      task(
        'disable swap',
        shell,
        { cmd: "swapoff -a && sed -i.bak -E '/^[^#].*[[:space:]]swap[[:space:]]/s/^/#/' /etc/fstab" },
        {
          when: (v) => v.node_disable_swap && containerOf(v) === undefined,
          changed_when: (r) => r.rc === undefined || r.rc === 0,
        },
      ),
      notice("swap is the host's", (v) => `node_disable_swap skipped: in a ${containerOf(v)} container swap belongs to the host.`, {
        when: (v) => v.node_disable_swap && containerOf(v) !== undefined,
      }),
      task(
        'keep DHCP from rewriting the DNS resolver',
        shell,
        {
          cmd: 'changed=; for f in /etc/sysconfig/network-scripts/ifcfg-*; do [ -f "$f" ] || continue; grep -q "^PEERDNS=no$" "$f" && continue; sed -i "/^PEERDNS=/d" "$f"; echo PEERDNS=no >> "$f"; changed=1; done; echo ${changed:+changed}',
        },
        { when: (v) => v.node_static_network && rpm(v), changed_when: (r) => r.stdout === undefined || r.stdout.includes('changed') },
      ),
      notice(
        'disk read-ahead is left alone',
        () => 'node_disk_prefetch skipped: set the read-ahead of HDD data disks with blockdev --setra 16384 where needed.',
        {
          when: (v) => v.node_disk_prefetch,
        },
      ),
    ],
    { tags: ['node_feature'] },
  ),
];

const kernelTasks = [
  include(
    'kernel modules',
    [
      task(
        'find the kernel modules not loaded yet',
        shell,
        (v) => ({ cmd: `for m in ${v.node_kernel_modules.map(shq).join(' ')}; do [ -d "/sys/module/$m" ] || echo "$m"; done` }),
        {
          check_mode: false,
          changed_when: () => false,
          register: 'node_kernel_missing',
        },
      ),
      task(
        'load the kernel modules',
        shell,
        (v) => ({
          cmd: `for m in ${missingModules(v).map(shq).join(' ')}; do if modprobe "$m" 2>/dev/null; then echo "loaded $m"; else echo "failed $m"; fi; done`,
        }),
        {
          when: (v) => missingModules(v).length > 0 && containerOf(v) === undefined,
          changed_when: (r) => r.stdout === undefined || /^loaded /m.test(r.stdout),
          register: 'node_kernel_loaded',
        },
      ),
      notice(
        'kernel modules not loaded',
        (v) => {
          if (containerOf(v))
            return `modprobe skipped: in a ${containerOf(v)} container the kernel and its modules are the host's (not loaded: ${missingModules(v).join(', ')}).`;
          const failed = [...(v.node_kernel_loaded?.stdout ?? '').matchAll(/^failed (.+)$/gm)].map((m) => m[1]);
          return `warning: modprobe could not load ${failed.join(', ')}; they stay listed in /etc/modules-load.d for the next boot.`;
        },
        {
          when: (v) => missingModules(v).length > 0 && (containerOf(v) !== undefined || /^failed /m.test(v.node_kernel_loaded?.stdout ?? '')),
        },
      ),
      task('load the kernel modules at boot', copy, (_v, m: string) => ({ dest: `/etc/modules-load.d/${m}.conf`, mode: '0644', content: `${m}\n` }), {
        loop: (v) => v.node_kernel_modules,
      }),
    ],
    { tags: ['node_kernel'] },
  ),
];

const tuneProfileTasks = [
  include(
    'kernel tuning profile',
    [
      task('write the kernel parameters of the tuning profile', sysctl, (v) => ({
        settings: tuneSysctl(v.node_tune as TuneProfile, v),
        sysctl_file: TUNE_FILE,
        reload: applyLive(v),
      })),
      task('write the hugepage setting', sysctl, (v) => ({
        settings: { 'vm.nr_hugepages': hugepages(v) },
        sysctl_file: HUGEPAGE_FILE,
        reload: applyLive(v),
      })),
      notice(
        'tuned is not used',
        (v) =>
          `node_tune ${v.node_tune}: the profile's kernel parameters are in ${TUNE_FILE}; tuned itself (CPU governor, transparent hugepages, disk schedulers) is not set up` +
          (containerOf(v) ? `, and in a ${containerOf(v)} container /proc/sys is the host's, so nothing is applied live.` : '.'),
        { tags: ['node_tune_active'] },
      ),
    ],
    { tags: ['node_tune'], when: (v) => v.node_tune !== 'none' },
  ),
];

const sysctlTasks = [
  task('write node_sysctl_params', sysctl, (v) => ({ settings: v.node_sysctl_params, sysctl_file: SYSCTL_FILE, reload: applyLive(v) }), {
    tags: ['node_sysctl'],
    when: (v) => Object.keys(v.node_sysctl_params).length > 0,
  }),
  task(
    'remove node_sysctl_params no longer set',
    file,
    { path: SYSCTL_FILE, state: 'absent' },
    {
      tags: ['node_sysctl'],
      when: (v) => Object.keys(v.node_sysctl_params).length === 0,
    },
  ),
];

/** Pigsty's tune step: node features, kernel modules, the tuning profile's kernel parameters, then node_sysctl_params. */
export const tuneTasks = [...featureTasks, ...kernelTasks, ...tuneProfileTasks, ...sysctlTasks];
