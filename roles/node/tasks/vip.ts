import { dsl, type Task, type TaskOptions } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { systemd } from '../../../modules/systemd.ts';
import { template, templatePath } from '../../../modules/template.ts';
import type { NodeVars } from '../node-vars.ts';
import { vipPeers } from '../vip-peers.ts';

const { task, include } = dsl<NodeVars>();

/** Fail the host with `msg` unless `holds`: Ansible's assert, as a task whose arguments refuse to compute. */
function assertThat(name: string, holds: (v: NodeVars) => boolean, msg: string, options: TaskOptions<NodeVars> = {}): Task<NodeVars> {
  return task(
    name,
    debug,
    (v) => {
      if (!holds(v)) throw new Error(msg);
      return { msg: 'ok' };
    },
    options,
  );
}

export const vipTasks = [
  include(
    'node VIP with keepalived',
    [
      assertThat(
        'check the VIP identity',
        (v) =>
          Boolean(v.vip_address) && Number(v.vip_vrid) > 0 && Number(v.vip_vrid) < 255 && ['MASTER', 'BACKUP'].includes(v.vip_role.toUpperCase()),
        'vip_address and vip_vrid (1-254) are required for the node VIP, and vip_role is master or backup',
        { tags: ['vip_check'] },
      ),
      task(
        'write the keepalived configuration',
        template,
        (v) => ({
          src: templatePath(import.meta.url, 'keepalived.conf.hbs'),
          dest: '/etc/keepalived/keepalived.conf',
          owner: 'root',
          mode: '0600',
          vars: { vip_peers: vipPeers(v), vip_password: v.vip_auth_pass || `${v.node_cluster}-${v.vip_vrid}` },
        }),
        { tags: ['vip_config', 'vip_refresh'], register: 'node_vip_conf', no_log: true },
      ),
      task('launch keepalived', systemd, (v) => ({ name: 'keepalived', enabled: true, state: v.node_vip_conf?.changed ? 'restarted' : 'started' }), {
        tags: ['vip_launch', 'vip_reload', 'vip_refresh'],
      }),
    ],
    { tags: ['node_vip'], when: (v) => v.vip_enabled },
  ),
];
