import { changed, dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { template, templatePath } from '../../../modules/template.ts';
import { pendingAmong, pendingReadTask, stampTask } from '../../reloads.ts';
import type { RoleVars } from '../../vars.ts';
import { interfaceOf, VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT, vipTemplateVars } from '../vip-manager.ts';

/** Results the vip-manager steps register and read back (undefined when the step did not run, e.g. filtered by tags). */
type VipStepVars = RoleVars & {
  pg_vip_probe?: TaskResult;
  pg_vip_files?: TaskResult;
  pg_vip_started?: TaskResult;
  pg_vip_restarted?: TaskResult;
  pg_vip_pending?: TaskResult;
};

const { task } = dsl<VipStepVars>();

/** The NIC to bind the VIP on: pg_vip_interface, or with auto the one holding the host's address. */
function vipInterface(v: VipStepVars): string {
  if (v.pg_vip_interface !== 'auto') return v.pg_vip_interface;
  const found = interfaceOf(String(v.pg_vip_probe?.stdout ?? ''), v.inventory_hostname);
  if (!found) throw new Error(`pg_vip_interface auto: no interface holds ${v.inventory_hostname}; set pg_vip_interface`);
  return found;
}

export const vipTasks: TaskItem<VipStepVars>[] = [
  task(
    'find the interface holding the host address',
    shell,
    { cmd: 'ip -o -4 addr show' },
    {
      tags: ['pg_vip_config'],
      when: (v) => v.pg_vip_interface === 'auto',
      register: 'pg_vip_probe',
      check_mode: false,
      changed_when: () => false,
    },
  ),
  task(
    'write vip-manager config and unit',
    template,
    (v, item: { src: string; dest: string; group: string; mode: string }) => ({
      src: templatePath(import.meta.url, item.src),
      dest: item.dest,
      owner: 'root',
      group: item.group,
      mode: item.mode,
      vars: { vip: vipTemplateVars(v, vipInterface(v)) },
    }),
    {
      tags: ['pg_vip_config'],
      // The config holds the cluster's etcd password.
      no_log: true,
      register: 'pg_vip_files',
      loop: [
        { src: 'vip-manager.hbs', dest: VIP_MANAGER_CONFIG, group: 'postgres', mode: '0600' },
        { src: 'vip-unit.hbs', dest: VIP_MANAGER_UNIT, group: 'root', mode: '0644' },
      ],
    },
  ),
  pendingReadTask<VipStepVars>('find vip-manager files not loaded yet', 'vip-manager', () => [VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT], {
    tags: ['pg_vip_config', 'pg_vip_launch'],
    when: (v) => v.pg_vip_enabled && v.pg_reload,
    register: 'pg_vip_pending',
  }),
  task(
    'launch vip-manager',
    systemd,
    { name: 'vip-manager', state: 'started', enabled: true },
    {
      tags: ['pg_vip_launch'],
      when: (v) => v.pg_vip_enabled && v.pg_reload,
      register: 'pg_vip_started',
    },
  ),
  // Also for files a run wrote and ended before restarting it on (a host without a stamp yet is left running).
  task(
    'restart vip-manager on a new config or unit',
    systemd,
    { name: 'vip-manager', state: 'restarted' },
    {
      tags: ['pg_vip_launch'],
      when: (v) =>
        v.pg_vip_enabled &&
        v.pg_reload &&
        (changed(v.pg_vip_files) || pendingAmong(v.pg_vip_pending, [VIP_MANAGER_CONFIG, VIP_MANAGER_UNIT])) &&
        !changed(v.pg_vip_started),
      register: 'pg_vip_restarted',
    },
  ),
  stampTask<VipStepVars>('record that vip-manager loaded its files', 'vip-manager', {
    tags: ['pg_vip_launch'],
    when: (v) => changed(v.pg_vip_started) || changed(v.pg_vip_restarted),
  }),
  // Debian's package enables vip-manager at install; without a VIP to hold it only fails (and degrades systemd).
  task(
    'keep vip-manager off while the VIP is disabled',
    systemd,
    { name: 'vip-manager', state: 'stopped', enabled: false },
    {
      tags: ['pg_vip_launch'],
      when: (v) => !v.pg_vip_enabled,
    },
  ),
];
