import type { RoleVars } from '../vars.ts';
import { vipIp } from './vip-manager.ts';

/**
 * pg_listen with its placeholders: ${ip} the host, ${lo} loopback, ${vip} the cluster VIP when one is enabled and
 * real (otherwise the placeholder stays, as in Pigsty). Patroni and pgbouncer listen on the same addresses.
 */
export function listenAddress(v: Pick<RoleVars, 'pg_listen' | 'inventory_hostname' | 'pg_vip_enabled' | 'pg_vip_address'>): string {
  let listen = v.pg_listen.replaceAll('${ip}', v.inventory_hostname).replaceAll('${lo}', '127.0.0.1');
  const vip = v.pg_vip_address;
  if (v.pg_vip_enabled && !vip.startsWith('127.0.0') && vip.includes('/')) listen = listen.replaceAll('${vip}', vipIp(v));
  return listen;
}
