import { dsl } from '../../../engine/dsl.ts';
import { file } from '../../../modules/file.ts';
import type { InfraVars } from '../infra-vars.ts';
import { INFRA_DIR, RULES_DIR } from '../service-env.ts';
import { TARGET_JOBS } from '../targets.ts';

const { task, include } = dsl<InfraVars>();

const infraOwned = (path: string) => ({ path, state: 'directory' as const, owner: 'root', group: 'infra', mode: '0750' });

/**
 * [infra_dir]: infra_data (0751: service users traverse it; group write would let them swap root's entries), the /infra link to it, and the root-owned directories
 * of targets, rules and helpers. Directories a service user owns come with that service, once its package made it.
 */
export const dirTasks = [
  include(
    'infra dir',
    [
      task(
        'create the infra data directory',
        file,
        (v) => ({ path: v.infra_data, state: 'directory' as const, owner: 'root', group: 'infra', mode: '0751' }),
        {
          tags: ['infra_dir_data'],
        },
      ),
      task('link /infra to the infra data directory', file, (v) => ({ path: INFRA_DIR, state: 'link' as const, src: v.infra_data }), {
        tags: ['infra_dir_link'],
      }),
      task('create the infra directories', file, (_v, path: string) => infraOwned(path), {
        tags: ['infra_dir_create'],
        loop: [
          `${INFRA_DIR}/targets`,
          ...TARGET_JOBS.map((j) => `${INFRA_DIR}/targets/${j}`),
          RULES_DIR,
          `${INFRA_DIR}/conf`,
          `${INFRA_DIR}/tmp`,
          `${INFRA_DIR}/bin`,
        ],
      }),
    ],
    { tags: ['infra_dir'] },
  ),
];
