import type { RoleVars } from '../vars.ts';
import { withAdminIp } from '../admin-ip.ts';
import { dropInPath } from '../systemd-dropin.ts';

/** Where the chrony unit's drop-in for a node that may not set the clock goes. */
export const CHRONY_DROPIN = dropInPath('chrony', 'pigsty-no-clock.conf');

/** node_ntp_servers as chrony lines: `${admin_ip}` replaced, and the admin node never told to sync from itself. */
export function chronySources(v: Pick<RoleVars, 'node_ntp_servers' | 'admin_ip' | 'inventory_hostname'>): string[] {
  return v.node_ntp_servers.filter((s) => !(s.includes('${admin_ip}') && v.inventory_hostname === v.admin_ip)).map((s) => withAdminIp(s, v.admin_ip));
}

/** Without CAP_SYS_TIME (a container) Debian's unit is skipped by its ConditionCapability: run chronyd with -x instead. */
export const CHRONY_DROPIN_CONTENT = [
  '# Written by Pigsty: this node may not set the clock (no CAP_SYS_TIME, e.g. a container),',
  '# so chronyd runs with -x: it keeps time sources and serves time, but never adjusts the clock.',
  '[Unit]',
  'ConditionCapability=',
  '[Service]',
  'ExecStart=',
  'ExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x',
  '',
].join('\n');
