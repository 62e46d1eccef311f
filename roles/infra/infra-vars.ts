import type { TaskResult } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';

/** What the infra role's tasks register, read by later tasks. */
export interface InfraRegisters {
  infra_members?: TaskResult;
  dns_conf?: TaskResult;
  dns_pending?: TaskResult;
  dns_launch?: TaskResult;
  infra_optional?: TaskResult;
  infra_cert_copy?: TaskResult;
  blackbox_cap?: TaskResult;
  vmetrics_dropin?: TaskResult;
  vmetrics_env?: TaskResult;
  vmetrics_scrape?: TaskResult;
  vmetrics_pending?: TaskResult;
  vmetrics_launch?: TaskResult;
  vmalert_unit?: TaskResult;
  vmalert_env?: TaskResult;
  vmalert_rules?: TaskResult;
  vmalert_pending?: TaskResult;
  vmalert_launch?: TaskResult;
  alertmanager_env?: TaskResult;
  alertmanager_conf?: TaskResult;
  alertmanager_pending?: TaskResult;
  alertmanager_launch?: TaskResult;
  blackbox_env?: TaskResult;
  blackbox_conf?: TaskResult;
  blackbox_pending?: TaskResult;
  blackbox_launch?: TaskResult;
}

/** What the infra role's tasks read: the parameters and facts every role reads, and the infra role's registers. */
export type InfraVars = RoleVars & InfraRegisters;
