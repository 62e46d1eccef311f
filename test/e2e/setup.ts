import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './harness.ts';

/** Give the e2e run four fresh default nodes (a reset boots them too): earlier runs may have deployed on their disks. */
export default function setup(): void {
  const r = spawnSync(join(ROOT, 'sandbox.sh'), ['reset'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`./sandbox.sh reset failed with exit code ${r.status}`);
}
