import { isIpv4 } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { required } from './required.ts';
import { vipIp } from './vip-manager.ts';

/**
 * The address the cluster's name points at (pg_dns_target): `auto` is the VIP when the cluster has one, else the
 * primary; `primary`, `vip`, an address as given; `none` is no cluster record. Like Pigsty's, the record is written
 * at deploy time and does not follow a later failover: `vip` is the target that does.
 */
export function clusterDnsTarget(v: RoleVars): string | undefined {
  const vip = vipIp(v);
  const primary = required(v, 'pg_primary_ip');
  switch (v.pg_dns_target) {
    case 'none':
      return undefined;
    case 'auto':
      return v.pg_vip_enabled ? vip : primary;
    case 'primary':
      return primary;
    case 'vip':
      return vip;
    default:
      return v.pg_dns_target;
  }
}

/** Whether the cluster record can be written: a target that is an address (pg_primary_ip is `unknown` without exactly one primary). */
export const clusterDnsWanted = (v: RoleVars): boolean => {
  const target = clusterDnsTarget(v);
  return target !== undefined && isIpv4(target);
};
