import { dsl } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { template, templatePath } from '../../../modules/template.ts';
import type { RoleVars } from '../../vars.ts';
import { etcdEndpoints, initialCluster, instanceOf } from '../etcd-members.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

/** Variables the templates compute from the whole group. */
const configVars = (v: RoleVars) => ({ etcd_instance: instanceOf(v), etcd_initial_cluster: initialCluster(v), etcd_endpoints: etcdEndpoints(v) });

export const confTasks = [
  task('show the client endpoints', debug, (v) => ({ msg: `ETCDCTL_ENDPOINTS=${etcdEndpoints(v)}` }), { tags: ['etcd_conf'] }),
  task(
    'write etcd config and unit',
    template,
    (v, item: { src: string; dest: string; owner: string; group: string }) => ({
      src: templatePath(import.meta.url, item.src),
      dest: item.dest,
      owner: item.owner,
      group: item.group,
      mode: '0644',
      vars: configVars(v),
    }),
    {
      tags: ['etcd_conf'],
      register: 'etcd_conf_result',
      loop: [
        { src: 'etcd.conf.hbs', dest: '/etc/etcd/etcd.conf', owner: 'etcd', group: 'etcd' },
        { src: 'etcd.service.hbs', dest: '/etc/systemd/system/etcd.service', owner: 'root', group: 'root' },
      ],
    },
  ),
  task(
    'write the etcd root password',
    copy,
    (v) => ({ dest: '/etc/etcd/etcd.pass', content: v.etcd_root_password, owner: 'root', group: 'etcd', mode: '0640' }),
    {
      tags: ['etcd_conf'],
      no_log: true,
    },
  ),
  task(
    'write etcdctl defaults for login shells',
    template,
    (v) => ({
      src: templatePath(import.meta.url, 'etcdctl.sh.hbs'),
      dest: '/etc/profile.d/etcdctl.sh',
      owner: 'root',
      group: 'root',
      mode: '0644',
      vars: configVars(v),
    }),
    { tags: ['etcd_conf'] },
  ),
];
