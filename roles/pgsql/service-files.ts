import type { HaproxyService, ParamVars, PgService } from '../params.ts';
import { renderHaproxyService } from '../haproxy/render.ts';
import type { RoleVars } from '../vars.ts';
import { required } from './required.ts';
import { rtoSettings, type RtoPlanRow } from './rto.ts';
import { clusterMembers, selectMembers, type Member } from './selector.ts';

// The cluster's services as HAProxy listen sections (Pigsty's roles/pgsql/templates/service.cfg), and the haproxy
// hosts they go to.

/** The HAProxy default-server line of a service: the RTO plan's check timings (unknown plan names fall back to norm). */
export function rtoServerDefaults(rto: string, plan: Record<string, RtoPlanRow>): string {
  const { inter, fastinter, downinter, rise, fall } = rtoSettings(rto, plan);
  return `inter ${inter} fastinter ${fastinter} downinter ${downinter} rise ${rise} fall ${fall} on-marked-down shutdown-sessions slowstart 30s maxconn 3000 maxqueue 128 weight 100`;
}

/** The port a member serves a service on: an explicit port, its postgres or pgbouncer port; default means pg_default_service_dest. */
export function destinationPort(dest: PgService['dest'], member: Member, defaultDest: ParamVars['pg_default_service_dest']): number {
  const wanted = dest === undefined || dest === 'default' ? defaultDest : dest;
  if (typeof wanted === 'number') return wanted;
  return wanted === 'pgbouncer' ? member.pgbouncer_port : member.pg_port;
}

export interface ServiceContext {
  cluster: string;
  members: Member[];
  /** pg_default_service_dest: where dest 'default' goes. */
  defaultDest: ParamVars['pg_default_service_dest'];
  rto: string;
  rtoPlan: Record<string, RtoPlanRow>;
}

/** The members one of a service's expressions picks; an error names the service and the expression's key. */
function pick(service: PgService, key: 'selector' | 'backup', expression: string | undefined, ctx: ServiceContext): Member[] {
  try {
    return selectMembers(expression, ctx.members);
  } catch (error) {
    throw new Error(`service ${service.name} of ${ctx.cluster}, ${key}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A pg service as a generic HAProxy service (the haproxy_services shape): listen `<cluster>-<name>`, HTTP
 * health checks against Patroni's REST API, servers picked by selector with backup flags per spec 3.2.
 */
export function pgHaproxyService(service: PgService, ctx: ServiceContext): HaproxyService {
  const chosen = pick(service, 'selector', service.selector ?? '[]', ctx);
  const backups = pick(service, 'backup', service.backup, ctx);
  const backupHosts = new Set(backups.map((m) => m.inventory_hostname));
  const chosenHosts = new Set(chosen.map((m) => m.inventory_hostname));
  const server = (m: Member, backup: boolean): HaproxyService['servers'][number] => {
    const ssl = m.patroni_ssl_enabled ? 'check-ssl ca-file /pg/cert/ca.crt ' : '';
    return {
      name: `${m.pg_cluster}-${m.pg_seq}`,
      ip: m.inventory_hostname,
      port: destinationPort(service.dest, m, ctx.defaultDest),
      options: `${ssl}check port ${m.patroni_port}`,
      weight: m.pg_weight,
      backup,
    };
  };
  return {
    name: `${ctx.cluster}-${service.name}`,
    ip: service.ip ?? '*',
    port: service.port,
    protocol: 'tcp',
    maxconn: service.maxconn ?? 5000,
    balance: service.balance ?? 'roundrobin',
    options: ['option httpchk', 'option http-keep-alive', `http-check send meth OPTIONS uri ${service.check ?? '/'}`, 'http-check expect status 200'],
    default: service.options ?? rtoServerDefaults(ctx.rto, ctx.rtoPlan),
    servers: [
      ...chosen.map((m) => server(m, backupHosts.has(m.inventory_hostname))),
      ...backups.filter((m) => !chosenHosts.has(m.inventory_hostname)).map((m) => server(m, true)),
    ],
  };
}

/** Every service file of a cluster: name (without .cfg) → content. Service names must be unique. */
export function pgServiceFiles(services: PgService[], ctx: ServiceContext): Map<string, string> {
  const files = new Map<string, string>();
  for (const service of services) {
    const haproxy = pgHaproxyService(service, ctx);
    if (files.has(haproxy.name)) throw new Error(`service ${service.name} of ${ctx.cluster} is defined twice`);
    // The haproxy role's renderer, so node services and pg services share one format.
    files.set(haproxy.name, renderHaproxyService(haproxy, `cluster ${ctx.cluster}`));
  }
  return files;
}

/**
 * Service files of this cluster to remove: `<cluster>-*.cfg` names that are not wanted now, leaving alone the
 * files of other clusters whose names start with this one's (pg-test and pg-test2-x, pg-test-2...).
 */
export function staleServiceFiles(existing: string[], cluster: string, wanted: Iterable<string>, otherClusters: string[]): string[] {
  const keep = new Set([...wanted].map((n) => `${n}.cfg`));
  const others = otherClusters.filter((c) => c !== cluster && c.startsWith(`${cluster}-`));
  return existing.filter(
    (file) => file.startsWith(`${cluster}-`) && file.endsWith('.cfg') && !keep.has(file) && !others.some((o) => file.startsWith(`${o}-`)),
  );
}

/** This cluster's service files: pg_default_services + pg_services over the inventory's members. */
export function serviceFiles(v: RoleVars): { name: string; content: string }[] {
  const cluster = required(v, 'pg_cluster');
  const files = pgServiceFiles([...v.pg_default_services, ...v.pg_services], {
    cluster,
    members: clusterMembers(v.hostvars, cluster),
    defaultDest: v.pg_default_service_dest,
    rto: v.pg_rto,
    rtoPlan: v.pg_rto_plan,
  });
  return [...files].map(([name, content]) => ({ name, content }));
}

/** Names of the other clusters in the inventory (their service files share the directory). */
export const otherClusters = (v: RoleVars): string[] =>
  [...new Set(Object.values(v.hostvars).flatMap((h) => (typeof h.pg_cluster === 'string' ? [h.pg_cluster] : [])))].filter((c) => c !== v.pg_cluster);

/** Whether the services go to this host's haproxy (no dedicated provider group). */
export const localProvider = (v: RoleVars): boolean => v.pg_service_provider === '' || !(v.pg_service_provider in v.groups);

/** Dedicated haproxy groups larger than this are refused (a delegated step runs on one host; see the report). */
export const MAX_SERVICE_PROVIDERS = 4;

/** The hosts of the dedicated haproxy group (pg_service_provider), if there is one. */
export const providers = (v: RoleVars): string[] => v.groups[v.pg_service_provider] ?? [];
