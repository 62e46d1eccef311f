import type { Playbook } from '../engine/dsl.ts';
import { checks, infraGroupRequired } from '../roles/checks.ts';
import { infraRemove } from '../roles/infra_remove/role.ts';
import { PigstyParams } from '../roles/params.ts';

/**
 * infra-rm: Pigsty's infra-rm.yml on the infra hosts -l names (it refuses to run without one, as every removal here
 * does): services stopped and disabled, configs, infra_data with the metrics and alert state, and the packages.
 */
export const infraRm: Playbook = {
  name: 'infra-rm',
  description: 'Remove the infra components from the infra hosts -l names: services, configs, data (metrics, alerts) and packages.',
  schema: PigstyParams,
  checks: [...checks, infraGroupRequired],
  requiresLimit: true,
  plays: [{ name: 'INFRA REMOVE', hosts: 'infra', become: true, roles: [infraRemove] }],
};
