import { dsl } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import type { RoleVars } from '../../vars.ts';
import { memberAddScript, memberListScript, memberPeerUrls, rootSecret } from '../etcdctl.ts';
import { instanceOf, otherEndpoints } from '../etcd-members.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

/** This member's peer URL, as the member list shows it once added. */
const peerUrl = (v: RoleVars): string => `https://${v.inventory_hostname}:${v.etcd_peer_port}`;

/** A joining member is registered through the others before it starts (etcd_init: existing); once listed, nothing to do. */
export const memberTasks = [
  task('list the members of the running cluster', shell, (v) => ({ cmd: memberListScript(otherEndpoints(v)), stdin: rootSecret(v) }), {
    tags: ['etcd_member'],
    when: (v) => v.etcd_init === 'existing',
    register: 'etcd_member_list',
    check_mode: false,
    changed_when: () => false,
  }),
  task(
    'add this member to the running cluster',
    shell,
    (v) => ({ cmd: memberAddScript(otherEndpoints(v), instanceOf(v), peerUrl(v), v.etcd_learner), stdin: rootSecret(v) }),
    {
      tags: ['etcd_member'],
      when: (v) => v.etcd_init === 'existing' && !memberPeerUrls(v.etcd_member_list?.stdout).includes(peerUrl(v)),
    },
  ),
];
