import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { instanceOf } from '../etcd-members.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

export const registerTasks = [
  task(
    'register etcd to victoria metrics',
    debug,
    (v) => ({
      msg:
        `skipped: ${instanceOf(v)} is not registered as a scrape target (/infra/targets/etcd/${instanceOf(v)}.yml on the infra nodes): ` +
        'the infra role (VictoriaMetrics) is not part of this deployment',
    }),
    { tags: ['etcd_register', 'register', 'add_metrics'] },
  ),
];
