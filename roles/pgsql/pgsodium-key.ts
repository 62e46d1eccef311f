import { createHash } from 'node:crypto';
import type { RoleVars } from '../vars.ts';
import { required } from './required.ts';

/** The pgsodium server key: pgsodium_key, else Pigsty's sha256 of the cluster name. */
export const pgsodiumKey = (v: RoleVars): string => v.pgsodium_key ?? createHash('sha256').update(required(v, 'pg_cluster')).digest('hex');
