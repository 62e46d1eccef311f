import { changed, dsl } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import { firewalld } from '../../../modules/firewalld.ts';
import { selinux } from '../../../modules/selinux.ts';
import { shell } from '../../../modules/shell.ts';
import { CA_CRT } from '../../ca/pki.ts';
import type { NodeVars } from '../node-vars.ts';

const { task, include } = dsl<NodeVars>();

const selinuxFirewallTasks = [
  task('set the SELinux mode', selinux, (v) => ({ state: v.node_selinux_mode }), { tags: ['node_sec', 'node_selinux'] }),
  task(
    'set up the firewall',
    firewalld,
    (v) =>
      v.node_firewall_mode === 'zone'
        ? { mode: 'zone' as const, intranet: v.node_firewall_intranet, public_ports: v.node_firewall_public_port }
        : { mode: v.node_firewall_mode },
    { tags: ['node_sec', 'node_firewall'], when: (v) => v.node_firewall_mode !== 'none' },
  ),
];

const deb = (v: NodeVars) => v.os_package !== 'rpm';

/** Where the system trust store picks up local CA certificates, and the command that rebuilds it. */
const trustAnchor = (v: NodeVars) => (deb(v) ? '/usr/local/share/ca-certificates/ca.crt' : '/etc/pki/ca-trust/source/anchors/ca.crt');

const caTasks = [
  include(
    'trust the Pigsty CA',
    [
      task('create /etc/pki', file, { path: '/etc/pki', state: 'directory', mode: '0755' }),
      task(
        'copy the CA certificate to /etc/pki/ca.crt',
        copy,
        { src: CA_CRT, dest: '/etc/pki/ca.crt', owner: 'root', group: 'root', mode: '0644' },
        {
          register: 'node_ca_copy',
        },
      ),
      task(
        'link the CA certificate into the trust store',
        file,
        (v) => ({ path: trustAnchor(v), state: 'link' as const, src: '/etc/pki/ca.crt', force: true }),
        {
          register: 'node_ca_link',
        },
      ),
      task('rebuild the system trust store', shell, (v) => ({ cmd: deb(v) ? '/usr/sbin/update-ca-certificates' : '/usr/bin/update-ca-trust' }), {
        when: (v) => changed(v.node_ca_copy) || changed(v.node_ca_link),
      }),
    ],
    { tags: ['node_ca'] },
  ),
];

/** Pigsty's sec step: SELinux and the firewall, then the CA in the system trust store. */
export const secTasks = [...selinuxFirewallTasks, ...caTasks];
