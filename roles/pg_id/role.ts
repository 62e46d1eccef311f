import { dsl } from '../../engine/dsl.ts';
import { setFact } from '../../modules/set-fact.ts';
import type { RoleVars } from '../vars.ts';
import { pgIdentity } from './identity.ts';

const { task, role } = dsl<RoleVars>();

/** Compute the PostgreSQL identity of a host from the whole inventory (cluster membership is by pg_cluster). */
export const pgId = role({
  name: 'pg_id',
  tasks: [
    task('set postgres identity', setFact, (v) => ({ ...pgIdentity(v.inventory_hostname, new Map(Object.entries(v.hostvars))) }), {
      tags: ['always', 'pg-id'],
    }),
  ],
});
