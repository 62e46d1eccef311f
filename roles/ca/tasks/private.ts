import { existsSync } from 'node:fs';
import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { shell } from '../../../modules/shell.ts';
import type { RoleVars } from '../../vars.ts';
import { caKeyScript } from '../ca-scripts.ts';
import { CA_DIR, CA_KEY, onController } from '../pki.ts';

const { task } = dsl<RoleVars>();

/** [ca_private]: the CA key, made unless ca_create is false (then it must be there already). */
export const privateTasks = [
  task(
    'abort: ca_create is false and there is no CA key',
    debug,
    () => {
      throw new Error(`ca_create is false, but ${CA_KEY} does not exist: put your CA key and certificate in ${CA_DIR} or set ca_create: true`);
    },
    { ...onController, tags: ['ca_private'], when: (v) => !v.ca_create && !existsSync(CA_KEY) },
  ),
  task(
    'generate the CA private key',
    shell,
    { cmd: caKeyScript() },
    {
      ...onController,
      tags: ['ca_private'],
      when: (v) => v.ca_create && !existsSync(CA_KEY),
    },
  ),
];
