import { dsl } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';
import { identityTasks } from './tasks/identity.ts';

const { role } = dsl<RoleVars>();

/** Compute the PostgreSQL identity of a host from the whole inventory (cluster membership is by pg_cluster). */
export const pgId = role({ name: 'pg_id', tasks: identityTasks });
