import { systemd } from '../../modules/systemd.ts';
import { template, templatePath } from '../../modules/template.ts';
import { assertThat, include, task, type NodeVars } from './dsl.ts';

/** The other hosts that share this host's vip_address: its VRRP unicast peers. */
export function vipPeers(v: Pick<NodeVars, 'hostvars' | 'inventory_hostname' | 'vip_address'>): string[] {
  return Object.entries(v.hostvars)
    .filter(([host, h]) => host !== v.inventory_hostname && h.vip_address === v.vip_address)
    .map(([host]) => host)
    .sort();
}

export const vipTasks = [
  include(
    'node VIP with keepalived',
    [
      assertThat(
        'check the VIP identity',
        (v) => Boolean(v.vip_address) && Number(v.vip_vrid) > 0 && Number(v.vip_vrid) < 255 && ['MASTER', 'BACKUP'].includes(v.vip_role.toUpperCase()),
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
