import { dsl } from '../../engine/dsl.ts';
import { facts } from '../../modules/facts.ts';
import { setFact } from '../../modules/set-fact.ts';
import type { RoleVars } from '../vars.ts';
import { nodeIdentity } from './identity.ts';

const { task, role } = dsl<RoleVars>();

/** Probe the node once and derive its identity (nodename, node_cluster); every later role reads these. */
export const nodeId = role({
  name: 'node_id',
  tasks: [
    task('probe the node', facts, {}, { tags: ['always', 'node-id'], check_mode: false }),
    task('set node identity', setFact, (v) => ({ ...nodeIdentity(v, v.node_hostname ?? v.inventory_hostname) }), {
      tags: ['always', 'node-id'],
    }),
  ],
});
