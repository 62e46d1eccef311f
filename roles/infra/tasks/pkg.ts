import { changed, dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { pkg } from '../../../modules/package.ts';
import { shell } from '../../../modules/shell.ts';
import { user } from '../../../modules/user.ts';
import { infraPackages, infraServiceUsers, optionalNotice, optionalProbe } from '../infra-packages.ts';
import type { InfraVars } from '../infra-vars.ts';

const { task, include } = dsl<InfraVars>();

/**
 * [infra_pkg]: Debian's packages of the enabled components (the node role's policy-rc.d keeps them from starting
 * with Debian's defaults), one line about the components Debian lacks, and group infra for the users the packages
 * made: before VictoriaMetrics first starts, since a process's groups are fixed when it starts.
 */
export const pkgTasks = [
  include(
    'infra packages',
    [
      task('install the infra packages', pkg, (v) => ({ name: infraPackages(v), update_cache: true, cache_valid_time: 86400 }), {
        when: (v) => infraPackages(v).length > 0,
      }),
      task(
        'look for the optional infra packages',
        shell,
        { cmd: optionalProbe() },
        { check_mode: false, changed_when: () => false, register: 'infra_optional' },
      ),
      task('optional infra packages', debug, (v) => ({ msg: optionalNotice(String(v.infra_optional?.stdout ?? '')) })),
      task('add the infra service users to group infra', user, (_v, name: string) => ({ name, groups: ['infra'], append: true }), {
        loop: (v) => infraServiceUsers(v),
        register: 'infra_members',
      }),
    ],
    { tags: ['infra_pkg'] },
  ),
];

/** Whether a service user joined group infra in this run: its running service must restart to get the group. */
export const membersChanged = (v: InfraVars): boolean => changed(v.infra_members);
