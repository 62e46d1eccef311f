import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import type { RoleVars } from '../../vars.ts';
import { dnsTasks } from './dns.ts';
import { pgbouncerTasks } from './pgbouncer.ts';
import { serviceTasks } from './service.ts';
import { vipTasks } from './vip.ts';

const { include } = dsl<RoleVars>();

/**
 * The access part of the pgsql role: pgbouncer [pg_access,pgbouncer] (when pgbouncer_enabled), vip-manager
 * [pg_access,pg_vip], the cluster's haproxy services [pg_access,pg_service], and the instance and cluster names on
 * the infra hosts' dnsmasq [pg_access,pg_dns].
 */
export const accessTasks = [
  include('pgbouncer', pgbouncerTasks, { tags: ['pg_access', 'pgbouncer'], when: (v) => v.pgbouncer_enabled }),
  include('vip-manager', vipTasks, { tags: ['pg_access', 'pg_vip'] }),
  // haproxy comes with the node role: without it (haproxy_enabled false) there is nothing to serve the services.
  include('haproxy services', serviceTasks, { tags: ['pg_access', 'pg_service'], when: (v) => v.haproxy_enabled }),
  include('dns', dnsTasks, { tags: ['pg_access', 'pg_dns'] }),
] as TaskItem<RoleVars>[];
