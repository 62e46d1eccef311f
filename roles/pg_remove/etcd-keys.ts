import { shq } from '../../engine/shell-quote.ts';
import { pgGroupOf, pgShardOf } from '../pg_id/pg-identity.ts';
import type { RoleVars } from '../vars.ts';
import { cluster } from './removal.ts';

/** The etcd key prefix Patroni keeps the cluster under (the trailing / spares clusters whose name extends this one's). */
export const etcdPrefix = (v: RoleVars): string =>
  `${v.pg_namespace}/${v.pg_mode === 'citus' ? `${pgShardOf(v, cluster(v))}/${pgGroupOf(v)}` : cluster(v)}/`;

/** etcdctl's endpoints (the etcd group, TLS) and client certificate, as exports before a command. */
export const etcdEnv = (v: RoleVars): string => {
  const endpoints = (v.groups.etcd ?? []).map((h) => `https://${h}:${v.etcd_port}`).join(',');
  return `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${shq(endpoints)} ETCDCTL_CACERT=/etc/etcd/ca.crt ETCDCTL_CERT=/etc/etcd/server.crt ETCDCTL_KEY=/etc/etcd/server.key`;
};
