import type { NodeVars } from './node-vars.ts';

/** The probe: container type and CAP_SYS_TIME (bit 25 of CapBnd), read once for the kernel, tune and ntp steps. */
export const PROBE_VIRT = [
  'virt=$(systemd-detect-virt --container 2>/dev/null); echo "virt=${virt:-none}"',
  'bnd=$(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/self/status)',
  'if [ -n "$bnd" ] && [ $(( 0x$bnd >> 25 & 1 )) -eq 0 ]; then echo sys_time=no; else echo sys_time=yes; fi',
].join('; ');

/** The container technology the node probe found (systemd-detect-virt --container), or undefined on a VM or bare metal. */
export function containerOf(v: NodeVars): string | undefined {
  const line = /^virt=(.*)$/m.exec(v.node_virt?.stdout ?? '')?.[1]?.trim();
  return line && line !== 'none' ? line : undefined;
}

/** Whether the node may set the clock (CAP_SYS_TIME in its bounding set); true when unknown. */
export const canSetClock = (v: NodeVars): boolean => !/^sys_time=no$/m.test(v.node_virt?.stdout ?? '');
