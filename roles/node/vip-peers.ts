import type { RoleVars } from '../vars.ts';

/** The other hosts that share this host's vip_address: its VRRP unicast peers. */
export function vipPeers(v: Pick<RoleVars, 'hostvars' | 'inventory_hostname' | 'vip_address'>): string[] {
  return Object.entries(v.hostvars)
    .filter(([host, h]) => host !== v.inventory_hostname && h.vip_address === v.vip_address)
    .map(([host]) => host)
    .sort();
}
