import { changed } from '../../engine/dsl.ts';
import { PATRONI_CONF_LINK } from './patroni-conf.ts';
import type { PgVars } from './paths.ts';
import { required } from './required.ts';

// What the launch steps share: who is the primary, how patronictl names the cluster, how a unit is started.

export const isPrimary = (v: PgVars): boolean => v.pg_role === 'primary';

/** A patronictl command line on the instance's config. */
export const patronictl = (v: PgVars, ...args: string[]): string[] => ['patronictl', '-c', PATRONI_CONF_LINK, ...args];

/** The name patronictl knows the cluster by, with the Citus group when there is one. */
export const patroniCluster = (v: PgVars): string[] =>
  v.pg_mode === 'citus' ? [required(v, 'pg_shard'), '--group', String(required(v, 'pg_group'))] : [required(v, 'pg_cluster')];

/**
 * Start a unit, reloading systemd first when this run wrote its file: a new file in /etc/systemd/system that
 * shadows the package's unit (Debian ships a patroni.service) is not flagged for reload by systemd itself.
 */
export const launchArgs = (name: string) => (v: PgVars) => ({
  name,
  state: 'started' as const,
  enabled: true,
  daemon_reload: changed(v.pg_units_result),
});
