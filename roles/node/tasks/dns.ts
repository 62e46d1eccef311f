import { dsl } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { hostname } from '../../../modules/hostname.ts';
import { shell } from '../../../modules/shell.ts';
import { dnsRecords, etcHosts, metaRecords, playHosts, readBack, readScript, resolvConf } from '../dns-files.ts';
import type { NodeVars } from '../node-vars.ts';

const { task, include } = dsl<NodeVars>();

/** A read-only command that runs in check mode too and never counts as a change. */
const reading = { check_mode: false, changed_when: () => false } as const;

const nameTasks = [
  task('set the hostname to the nodename', hostname, (v) => ({ name: v.nodename as string }), {
    tags: ['node_name'],
    when: (v) => v.nodename_overwrite && v.nodename !== undefined && v.nodename !== '',
  }),
];

const hostsTasks = [
  include(
    'static DNS records in /etc/hosts',
    [
      task('read /etc/hosts', shell, { cmd: readScript('/etc/hosts') }, { ...reading, register: 'node_hosts_read' }),
      task('write the pigsty records in /etc/hosts', copy, (v) => ({
        dest: '/etc/hosts',
        owner: 'root',
        group: 'root',
        mode: '0644',
        content: etcHosts(readBack(v.node_hosts_read?.stdout), dnsRecords(v), v.nodename_exchange ? metaRecords(playHosts(v)) : []),
      })),
    ],
    { tags: ['node_hosts'], when: (v) => v.node_write_etc_hosts },
  ),
];

const resolvTasks = [
  include(
    'DNS resolver',
    [
      task('read /etc/resolv.conf', shell, { cmd: readScript('/etc/resolv.conf') }, { ...reading, register: 'node_resolv_read' }),
      task('write /etc/resolv.conf', copy, (v) => ({
        dest: '/etc/resolv.conf',
        owner: 'root',
        mode: '0644',
        content: resolvConf(v, readBack(v.node_resolv_read?.stdout) ?? ''),
      })),
    ],
    { tags: ['node_resolv'], when: (v) => v.node_dns_method !== 'none' },
  ),
];

/** Pigsty's dns step: the hostname, the static records in /etc/hosts, then the resolver. */
export const dnsTasks = [...nameTasks, ...hostsTasks, ...resolvTasks];
