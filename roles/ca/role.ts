import { dsl } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';
import { certTasks } from './tasks/cert.ts';
import { dirTasks } from './tasks/dir.ts';
import { privateTasks } from './tasks/private.ts';

const { role } = dsl<RoleVars>();

/**
 * Pigsty's ca role: the controller's files/pki tree, a CA private key (made unless ca_create is false) and a self-signed
 * CA certificate, both kept once they exist. Leaf certificates come from issueCert (./tasks/issue-cert.ts) in the roles
 * that need them.
 */
export const ca = role({
  name: 'ca',
  tasks: [...dirTasks, ...privateTasks, ...certTasks],
});
