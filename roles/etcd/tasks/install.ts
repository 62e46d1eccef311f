import { dsl } from '../../../engine/dsl.ts';
import { pkg } from '../../../modules/package.ts';
import { shell } from '../../../modules/shell.ts';
import { DEBIAN_DEFAULT_DATA, under } from '../paths.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

export const installTasks = [
  task('install etcd', pkg, { name: 'etcd', aliases: true, update_cache: true, cache_valid_time: 86400 }, { tags: ['etcd_install'] }),
  // Debian's postinst starts a single-node member from /etc/default/etcd (data in /var/lib/etcd/default, listening on
  // localhost at etcd's stock client port, the one etcd_port defaults to). Stop it before the real member is
  // configured, and drop its data so nothing of it lingers. The directory is the guard: once it is gone (or was never
  // made) there is nothing to do.
  task(
    'stop the default member Debian started and remove its data',
    shell,
    {
      cmd: [
        'if ! grep -qs -- "--config-file /etc/etcd/etcd.conf" /etc/systemd/system/etcd.service; then systemctl stop etcd.service || true; fi',
        `rm -rf -- ${DEBIAN_DEFAULT_DATA}`,
      ].join('\n'),
      removes: DEBIAN_DEFAULT_DATA,
    },
    { tags: ['etcd_install'], when: (v) => !under(v.etcd_data, DEBIAN_DEFAULT_DATA) },
  ),
];
