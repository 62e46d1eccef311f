import { dsl } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import { authEnableScript, authProbeScript, keyValues, rootSecret } from '../etcdctl.ts';
import { etcdEndpoints } from '../etcd-members.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

/** Root user and `auth enable` once per cluster, after reading whether auth is on already. */
export const authTasks = [
  task('read etcd auth state', shell, (v) => ({ cmd: authProbeScript(etcdEndpoints(v)), stdin: rootSecret(v) }), {
    tags: ['etcd_auth'],
    run_once: true,
    register: 'etcd_auth_state',
    check_mode: false,
    changed_when: () => false,
  }),
  task('create the root user and enable etcd auth', shell, (v) => ({ cmd: authEnableScript(etcdEndpoints(v)), stdin: rootSecret(v) }), {
    tags: ['etcd_auth'],
    run_once: true,
    when: (v) => keyValues(v.etcd_auth_state?.stdout).auth === 'off',
  }),
];
