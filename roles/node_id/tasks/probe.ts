import { dsl } from '../../../engine/dsl.ts';
import { facts } from '../../../modules/facts.ts';
import type { RoleVars } from '../../vars.ts';

const { task } = dsl<RoleVars>();

/** Read the node's OS, architecture, hostname, CPU and memory once, for every later role. */
export const probeTasks = [task('probe the node', facts, {}, { tags: ['always', 'node-id'], check_mode: false })];
