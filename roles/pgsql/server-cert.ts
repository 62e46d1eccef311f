import type { CertSpec } from '../ca/pki.ts';
import type { RoleVars } from '../vars.ts';
import { required } from './required.ts';

/** The server certificate of an instance: the cluster's shared key, its own certificate, valid for its names and address. */
export function pgCertSpec(v: RoleVars): CertSpec {
  const cluster = required(v, 'pg_cluster');
  const instance = `${cluster}-${required(v, 'pg_seq')}`;
  return {
    dir: 'pgsql',
    name: instance,
    key: cluster,
    cn: instance,
    ou: 'postgres',
    sans: ['DNS:localhost', `DNS:${cluster}`, `DNS:${instance}`, 'IP:127.0.0.1', `IP:${v.inventory_hostname}`],
  };
}
