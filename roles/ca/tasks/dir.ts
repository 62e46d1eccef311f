import { dsl } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import type { RoleVars } from '../../vars.ts';
import { pkiDirsScript, pkiDirsToFix } from '../ca-scripts.ts';
import { onController } from '../pki.ts';

const { task } = dsl<RoleVars>();

/** [ca_dir]: the files/pki tree with its modes. */
export const dirTasks = [
  task('create the files/pki directories on the controller', shell, () => ({ cmd: pkiDirsScript(pkiDirsToFix()) }), {
    ...onController,
    tags: ['ca_dir'],
    when: () => pkiDirsToFix().length > 0,
  }),
];
