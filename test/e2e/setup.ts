import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './harness.ts';

/**
 * Give the e2e run four fresh default nodes (a reset boots them too): earlier runs may have deployed on their disks.
 * PGSTY_E2E_NO_RESET=1 leaves them as they are, for running one file on extra nodes while others use the default ones.
 */
export default function setup(): void {
  if (process.env.PGSTY_E2E_NO_RESET === '1') return;
  const r = spawnSync(join(ROOT, 'sandbox.sh'), ['reset'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`./sandbox.sh reset failed with exit code ${r.status}`);
}
