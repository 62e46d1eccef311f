import { dsl } from '../../../engine/dsl.ts';
import { group } from '../../../modules/group.ts';
import { user } from '../../../modules/user.ts';
import type { InfraVars } from '../infra-vars.ts';

const { task, include } = dsl<InfraVars>();

/** [infra_user]: group infra, which reads targets, rules and the scrape config; the admin user joins it. */
export const userTasks = [
  include(
    'infra user',
    [
      task('create group infra', group, { name: 'infra', system: true }),
      task('add the admin user to group infra', user, (v) => ({ name: v.node_admin_username, groups: ['infra'], append: true }), {
        when: (v) => v.node_admin_enabled,
      }),
    ],
    { tags: ['infra_user'] },
  ),
];
