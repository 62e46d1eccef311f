import { required } from '../pgsql/required.ts';
import { vipIp } from '../pgsql/vip-manager.ts';
import type { PgIdentity } from '../infra/targets.ts';
import type { RoleVars } from '../vars.ts';

/** The instance's identity labels (cls, ins, ip), from pg_id's facts. */
export const pgIdentity = (v: RoleVars): PgIdentity => ({
  ip: v.inventory_hostname,
  cls: required(v, 'pg_cluster'),
  ins: required(v, 'pg_instance'),
});

/** Whether Patroni's REST API is scraped: it runs (not removed), and over HTTPS it has a job of its own. */
export const patroniScraped = (v: RoleVars): boolean => v.patroni_enabled && v.patroni_mode !== 'remove';

/** The name of the VIP's ping target file: Pigsty's <vip>---<ip>. */
export const vipTargetName = (v: RoleVars): string => `${vipIp(v)}---${v.inventory_hostname}`;
