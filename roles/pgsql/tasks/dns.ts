import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { hostsFile, hostsLine } from '../../infra/dnsmasq-files.ts';
import { registerOnInfraTasks } from '../../infra/tasks/register.ts';
import type { RoleVars } from '../../vars.ts';
import { clusterDnsTarget, clusterDnsWanted } from '../dns-records.ts';
import { isIpv4 } from '../../params.ts';
import { required } from '../required.ts';

const instance = (v: RoleVars): string => required(v, 'pg_instance');
const clusterName = (v: RoleVars): string => `${required(v, 'pg_cluster')}${v.pg_dns_suffix}`;

/**
 * [pg_dns]: the instance's name (pg_dns_ins) on every infra host's dnsmasq, and, from the primary, the cluster's
 * name (pg_dns_cls) pointing at pg_dns_target.
 */
export const dnsTasks: TaskItem<RoleVars>[] = [
  dsl<RoleVars>().task(
    'skip the DNS records of a host not named by its address',
    debug,
    (v) => ({ msg: `pg_dns: skipped on ${v.inventory_hostname}: a DNS record needs the host's IPv4 address as its inventory name` }),
    { tags: ['pg_dns'], when: (v) => v.dns_enabled && !isIpv4(v.inventory_hostname) },
  ),
  ...registerOnInfraTasks<RoleVars>({
    what: 'the instance name',
    dir: '/infra/hosts',
    path: (v) => hostsFile(instance(v)),
    content: (v) => hostsLine(v.inventory_hostname, [instance(v)]),
    group: 'root',
    mode: '0644',
    tags: ['pg_dns', 'pg_dns_ins', 'add_dns'],
    when: (v) => v.dns_enabled && isIpv4(v.inventory_hostname),
  }),
  ...registerOnInfraTasks<RoleVars>({
    what: 'the cluster name',
    dir: '/infra/hosts',
    path: (v) => hostsFile(required(v, 'pg_cluster')),
    content: (v) => hostsLine(clusterDnsTarget(v) as string, [clusterName(v)]),
    group: 'root',
    mode: '0644',
    tags: ['pg_dns', 'pg_dns_cls', 'add_dns'],
    when: (v) => v.dns_enabled && v.pg_role === 'primary' && clusterDnsWanted(v),
  }),
];
