import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import type { RemoveVars } from '../removal.ts';

const { task } = dsl<RemoveVars>();

/** [pg_monitor]: what the monitor removal owns, said rather than done. */
export const monitorTasks = [
  task(
    'monitoring targets are left to the monitor removal',
    debug,
    { msg: 'pg_monitor registrations (metrics targets, datasources, log collection) are not removed by this playbook' },
    {
      tags: ['pg_monitor', 'pg_deregister', 'deregister'],
    },
  ),
];
