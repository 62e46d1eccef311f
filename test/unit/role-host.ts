import { PARAM_DEFAULTS } from '../../roles/params.ts';
import type { RoleVars } from '../../roles/vars.ts';

/** A pgsql host's variables as a role sees them: the declared defaults, primary pg-test-1 of pg-test, then `extra`. */
export const pgHost = (extra: Record<string, unknown> = {}): RoleVars =>
  ({
    ...PARAM_DEFAULTS,
    inventory_hostname: '10.10.10.11',
    group_names: [],
    groups: {},
    hostvars: {},
    pg_cluster: 'pg-test',
    pg_role: 'primary',
    pg_instance: 'pg-test-1',
    ...extra,
  }) as RoleVars;
