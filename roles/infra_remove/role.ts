import { dsl } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';
import { removeTasks } from './tasks/remove.ts';

const { role } = dsl<RoleVars>();

/** Pigsty's infra-rm.yml: the infra services stopped, the configs, data and packages of the infra role removed. */
export const infraRemove = role({ name: 'infra_remove', tasks: removeTasks });
