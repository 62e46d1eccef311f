import { shq } from '../../engine/shell-quote.ts';
import { dbsu } from '../pgsql/paths.ts';
import type { RoleVars } from '../vars.ts';

/** Stop Patroni and PostgreSQL, politely then by force: the data directory must be closed before it goes. */
export const stopPostgres = (v: RoleVars): string =>
  [
    'timeout 30s systemctl stop patroni 2>/dev/null || systemctl kill patroni 2>/dev/null || true',
    'timeout 15s systemctl stop postgres 2>/dev/null || systemctl kill postgres 2>/dev/null || true',
    'systemctl disable patroni postgres 2>/dev/null || true',
    `if pgrep -u ${shq(dbsu(v))} -f -- '-D ' >/dev/null; then ${shq(`${v.pg_bin_dir}/pg_ctl`)} -D ${shq(v.pg_data)} stop -m immediate || true; fi`,
    'sleep 1',
    `pkill -9 -u ${shq(dbsu(v))} -f -- 'postgres|postmaster' || true`,
  ].join('\n');
