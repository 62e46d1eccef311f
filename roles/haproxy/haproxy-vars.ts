import type { TaskResult } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';

/** What the haproxy role's tasks register, read by later tasks. */
interface HaproxyRegisters {
  haproxy_unit?: TaskResult;
  haproxy_fragment?: TaskResult;
  haproxy_nofile?: TaskResult;
  haproxy_cfg?: TaskResult;
  haproxy_svc?: TaskResult;
  haproxy_launch?: TaskResult;
  haproxy_pending?: TaskResult;
}

/** What the haproxy role's tasks read: the parameters and facts every role reads, and the haproxy role's registers. */
export type HaproxyVars = RoleVars & HaproxyRegisters;
