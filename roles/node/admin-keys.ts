import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { NodeVars } from './node-vars.ts';

/** The public keys in the controller user's ~/.ssh/id*.pub, one per file (Pigsty's node_admin_pk_current). */
export function controllerPublicKeys(dir = join(homedir(), '.ssh')): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^id.*\.pub$/.test(n))
    .sort()
    .map((n) => readFileSync(join(dir, n), 'utf8').trim())
    .filter(Boolean);
}

/** The admin users' public keys of every host in this play (they registered node_admin_pubkey), for the exchange. */
export function exchangedKeys(v: NodeVars): string[] {
  return Object.values(v.hostvars)
    .map((h) => (h as NodeVars).node_admin_pubkey?.stdout?.trim() ?? '')
    .filter((k) => k.startsWith('ssh-') || k.startsWith('ecdsa-'));
}
