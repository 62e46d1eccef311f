import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './harness.ts';

/** Bring the sandbox nodes up once for the whole e2e run; `up` is idempotent and fast when they already run. */
export default function setup(): void {
  const r = spawnSync(join(ROOT, 'sandbox.sh'), ['up'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`./sandbox.sh up failed with exit code ${r.status}`);
}
