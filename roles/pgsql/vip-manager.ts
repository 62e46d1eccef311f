import type { RoleVars } from '../vars.ts';
import { required } from './required.ts';

// vip-manager: the values its configuration is rendered from, and the interface that holds the VIP.

/** The variables vip-manager's configuration is computed from (a subset of RoleVars, so tests can build them by hand). */
export type VipVars = Pick<
  RoleVars,
  | 'inventory_hostname'
  | 'pg_cluster'
  | 'pg_instance'
  | 'pg_mode'
  | 'pg_shard'
  | 'pg_group'
  | 'pg_namespace'
  | 'pg_vip_address'
  | 'pg_vip_interface'
  | 'pg_etcd_password'
  | 'etcd_port'
  | 'groups'
>;

/** The cluster VIP's address without its prefix length (pg_vip_address is 10.10.10.3/24). */
export const vipIp = (v: Pick<RoleVars, 'pg_vip_address'>): string => v.pg_vip_address.split('/')[0] as string;

export const VIP_MANAGER_UNIT = '/etc/systemd/system/vip-manager.service';
export const VIP_MANAGER_CONFIG = '/etc/default/vip-manager.yml';

/**
 * The values vip-manager.hbs prints (under `vip`): Patroni's leader key of the cluster (of the shard group for
 * Citus), the address and prefix length from pg_vip_address, the etcd endpoints (sorted etcd group, TLS) and
 * the cluster's etcd credentials (pg_etcd_password, else the cluster name, as the core's pg_etcd step creates).
 */
export function vipTemplateVars(v: VipVars, iface?: string) {
  const cluster = required(v, 'pg_cluster');
  const namespace = v.pg_namespace;
  const citus = v.pg_mode === 'citus';
  const address = v.pg_vip_address;
  const [ip, prefix] = address.split('/');
  const etcdUser = citus ? required(v, 'pg_shard') : cluster;
  return {
    cluster,
    instance: required(v, 'pg_instance'),
    address,
    ip: ip ?? address,
    // a number: vip-manager reads an integer, and the YAML writer quotes a string that looks like one
    netmask: Number(prefix ?? 24),
    interface: iface ?? v.pg_vip_interface,
    trigger_key: citus ? `${namespace}/${etcdUser}/${required(v, 'pg_group')}/leader` : `${namespace}/${cluster}/leader`,
    endpoints: [...(v.groups.etcd ?? [])].sort().map((host) => `https://${host}:${v.etcd_port}`),
    etcd_user: etcdUser,
    etcd_password: v.pg_etcd_password ? v.pg_etcd_password : etcdUser,
    unit_path: VIP_MANAGER_UNIT,
  };
}

/** The interface holding an address, from `ip -o -4 addr show` output; undefined when none does. */
export function interfaceOf(ipAddrOutput: string, address: string): string | undefined {
  for (const line of ipAddrOutput.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([0-9.]+)\//.exec(line);
    if (m && m[2] === address) return m[1]?.replace(/@.*$/, '');
  }
  return undefined;
}
