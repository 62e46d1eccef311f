import type { TaskResult } from '../../engine/dsl.ts';
import type { RoleVars } from '../vars.ts';

/** What the node_monitor role's tasks read: the parameters and facts every role reads, and its registers. */
export type NodeMonitorVars = RoleVars & { node_exporter_env?: TaskResult; cert_metrics_script?: TaskResult; cert_metrics_units?: TaskResult };
