import { shq } from '../../../engine/shell-quote.ts';
import { dsl } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import { etcdEnv, etcdPrefix } from '../etcd-keys.ts';
import { cluster, isPrimary, lenient, type RemoveVars } from '../removal.ts';
import { stopPostgres } from '../stop-postgres.ts';

const { task, include } = dsl<RemoveVars>();

/** [pg_bootstrap]: replicas stopped, then the primary, then the cluster's keys gone from etcd. */
export const postgresTasks = [
  include(
    'postgres',
    [
      // Replicas first, so removing a whole cluster triggers no failover.
      task('stop postgres replicas', shell, (v) => ({ cmd: stopPostgres(v), executable: '/bin/bash' }), {
        tags: ['pg_replica'],
        when: (v) => !isPrimary(v),
        ...lenient,
      }),
      task('stop the postgres primary', shell, (v) => ({ cmd: stopPostgres(v), executable: '/bin/bash' }), {
        tags: ['pg_primary'],
        when: isPrimary,
        ...lenient,
      }),
      task(
        'remove the cluster from etcd',
        shell,
        (v) => ({
          // The root password comes on stdin, so it shows neither in the task nor in the process list.
          cmd: `${etcdEnv(v)}\nread -r ETCDCTL_USER && export ETCDCTL_USER && etcdctl del ${shq(etcdPrefix(v))} --prefix`,
          executable: '/bin/bash',
          stdin: `root:${v.etcd_root_password}\n`,
        }),
        {
          tags: ['pg_meta'],
          when: (v) => isPrimary(v) && cluster(v) !== '' && cluster(v) !== 'root' && (v.groups.etcd ?? []).length > 0,
          delegate_to: (v) => v.groups.etcd?.[0] as string,
          ...lenient,
        },
      ),
    ],
    { tags: ['pg_bootstrap', 'postgres', 'patroni'] },
  ),
];
