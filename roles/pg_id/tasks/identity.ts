import { dsl } from '../../../engine/dsl.ts';
import { setFact } from '../../../modules/set-fact.ts';
import type { RoleVars } from '../../vars.ts';
import { pgIdentity } from '../pg-identity.ts';

const { task } = dsl<RoleVars>();

/** [always, pg-id]: the host's PostgreSQL identity facts, from the whole inventory (cluster membership is by pg_cluster). */
export const identityTasks = [
  task('set postgres identity', setFact, (v) => ({ ...pgIdentity(v.inventory_hostname, new Map(Object.entries(v.hostvars))) }), {
    tags: ['always', 'pg-id'],
  }),
];
