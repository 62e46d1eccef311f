import { dsl } from '../../../engine/dsl.ts';
import { setFact } from '../../../modules/set-fact.ts';
import type { RoleVars } from '../../vars.ts';
import { nodeIdentity } from '../node-identity.ts';

const { task } = dsl<RoleVars>();

/** Set nodename and node_cluster from the inventory and the probed hostname. */
export const identityTasks = [
  task('set node identity', setFact, (v) => ({ ...nodeIdentity(v, v.node_hostname ?? v.inventory_hostname) }), {
    tags: ['always', 'node-id'],
  }),
];
