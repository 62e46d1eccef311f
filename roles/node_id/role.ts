import { dsl } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';
import { identityTasks } from './tasks/identity.ts';
import { probeTasks } from './tasks/probe.ts';

const { role } = dsl<RoleVars>();

/** Probe the node once and derive its identity (nodename, node_cluster); every later role reads these. */
export const nodeId = role({
  name: 'node_id',
  tasks: [...probeTasks, ...identityTasks],
});
