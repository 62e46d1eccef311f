import { dsl } from '../../../engine/dsl.ts';
import { file } from '../../../modules/file.ts';
import { under } from '../paths.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

export const dirTasks = [
  task('create the node data directory', file, (v) => ({ path: v.node_data, state: 'directory' as const, owner: 'root', group: 'root' }), {
    tags: ['etcd_dir'],
    when: (v) => under(v.etcd_data, v.node_data),
  }),
  task(
    'create etcd directories',
    file,
    (_v, item: { path: string; mode: string }) => ({ path: item.path, state: 'directory' as const, owner: 'etcd', group: 'etcd', mode: item.mode }),
    {
      tags: ['etcd_dir'],
      loop: (v) => [
        { path: '/etc/etcd', mode: '0750' },
        { path: '/var/lib/etcd', mode: '0770' },
        { path: v.etcd_data, mode: '0700' },
      ],
    },
  ),
];
