import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { etcdIdentityProblems, instanceOf } from '../etcd-members.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

export const assertTasks = [
  task(
    'assert etcd identity',
    debug,
    (v) => {
      const problems = etcdIdentityProblems(v);
      return { msg: problems.length ? problems.join('; ') : `${instanceOf(v)} of etcd cluster ${v.etcd_cluster}` };
    },
    { tags: ['etcd_assert'], failed_when: (_r, v) => etcdIdentityProblems(v).length > 0 },
  ),
];
