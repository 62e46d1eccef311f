import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { cluster, type RemoveVars } from '../removal.ts';

const { task } = dsl<RemoveVars>();

/** [pg_safeguard]: fail, so that nothing is removed, when pg_safeguard is on. */
export const safeguardTasks = [
  task(
    'abort when pg_safeguard is on',
    debug,
    // pg_instance is pg_id's fact; the guard runs even when pg_id was skipped (--skip-tags pg-id), so it may be absent.
    (v) => ({
      msg: v.pg_safeguard
        ? `pg_safeguard is on for ${v.pg_instance ?? cluster(v)} @ ${v.inventory_hostname}: nothing removed (override with -e pg_safeguard=false)`
        : 'pg_safeguard is off',
    }),
    // A guard: no -t, --skip-tags or --start-at-task can leave it out.
    { tags: ['always', 'pg_safeguard'], guard: true, failed_when: (_r, v) => v.pg_safeguard },
  ),
];
