import { existsSync } from 'node:fs';
import { dsl } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import type { RoleVars } from '../../vars.ts';
import { caCertScript } from '../ca-scripts.ts';
import { CA_CRT, onController } from '../pki.ts';

const { task } = dsl<RoleVars>();

/** [ca_cert]: the self-signed CA certificate, when there is none. */
export const certTasks = [
  task('self-sign the CA certificate', shell, (v) => ({ cmd: caCertScript(v.ca_cn) }), {
    ...onController,
    tags: ['ca_cert'],
    when: () => !existsSync(CA_CRT),
  }),
];
