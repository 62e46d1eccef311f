import { dsl, type Task, type TaskOptions, type TaskResult } from '../../engine/dsl.ts';
import { debug } from '../../modules/debug.ts';
import type { RoleVars } from '../vars.ts';

/** What the node role's tasks register, read by later tasks. */
export interface NodeRegisters {
  node_virt?: TaskResult;
  node_hosts_read?: TaskResult;
  node_resolv_read?: TaskResult;
  node_ca_copy?: TaskResult;
  node_ca_link?: TaskResult;
  node_repo_files?: TaskResult;
  node_kernel_missing?: TaskResult;
  node_kernel_loaded?: TaskResult;
  node_admin_pubkey?: TaskResult;
  node_chrony_conf?: TaskResult;
  node_chrony_dropin?: TaskResult;
  node_vip_conf?: TaskResult;
}

export type NodeVars = RoleVars & NodeRegisters;

export const { task, include } = dsl<NodeVars>();

/** A notice in the run's output: a debug task whose message says what is skipped or adapted, and why. */
export function notice(name: string, msg: (v: NodeVars) => string, options: TaskOptions<NodeVars> = {}): Task<NodeVars> {
  return task(name, debug, (v) => ({ msg: msg(v) }), options);
}

/** Fail the host with `msg` unless `holds`: Ansible's assert, as a task whose arguments refuse to compute. */
export function assertThat(name: string, holds: (v: NodeVars) => boolean, msg: string, options: TaskOptions<NodeVars> = {}): Task<NodeVars> {
  return task(
    name,
    debug,
    (v) => {
      if (!holds(v)) throw new Error(msg);
      return { msg: 'ok' };
    },
    options,
  );
}

/** The container technology the node probe found (systemd-detect-virt --container), or undefined on a VM or bare metal. */
export function containerOf(v: NodeVars): string | undefined {
  const line = /^virt=(.*)$/m.exec(v.node_virt?.stdout ?? '')?.[1]?.trim();
  return line && line !== 'none' ? line : undefined;
}

/** Whether the node may set the clock (CAP_SYS_TIME in its bounding set); true when unknown. */
export const canSetClock = (v: NodeVars): boolean => !/^sys_time=no$/m.test(v.node_virt?.stdout ?? '');

/** The probe: container type and CAP_SYS_TIME (bit 25 of CapBnd), read once for the kernel, tune and ntp steps. */
export const PROBE_VIRT = [
  'virt=$(systemd-detect-virt --container 2>/dev/null); echo "virt=${virt:-none}"',
  'bnd=$(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/self/status)',
  'if [ -n "$bnd" ] && [ $(( 0x$bnd >> 25 & 1 )) -eq 0 ]; then echo sys_time=no; else echo sys_time=yes; fi',
].join('; ');
