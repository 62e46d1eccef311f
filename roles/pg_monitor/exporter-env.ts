import { envLine } from '../../engine/shell-quote.ts';
import { HELPER_DIR } from '../helper-dir.ts';
import type { RoleVars } from '../vars.ts';

/** Where the exporters' queries file is installed: readable by the exporter's user, unlike /etc/pg_exporter (the dbsu's). */
export const PG_EXPORTER_QUERIES = '/etc/prometheus-postgres-exporter/queries.yml';
export const PG_EXPORTER_ENV = '/etc/default/prometheus-postgres-exporter';
export const PGBOUNCER_EXPORTER_ENV = '/etc/default/pgbouncer_exporter';
export const PGBOUNCER_EXPORTER_SCRIPT = `${HELPER_DIR}/pgbouncer_exporter.py`;

/** A URI component with everything but unreserved characters (and `/` in paths) percent-encoded, quotes included. */
const uriPart = (text: string, keep = ''): string =>
  [...new TextEncoder().encode(text)]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9._~-]/.test(c) || keep.includes(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');

type Conn = Pick<RoleVars, 'pg_monitor_username' | 'pg_monitor_password' | 'pg_localhost'>;

/** A socket connection of the monitor user: postgresql://user:password@:port/db?host=<socket dir>&params (Pigsty's form). */
function monitorUrl(v: Conn, port: number, db: string, params: string[]): string {
  const auth = `${uriPart(v.pg_monitor_username)}:${uriPart(v.pg_monitor_password)}`;
  return `postgresql://${auth}@:${port}/${db}?${[`host=${uriPart(v.pg_localhost, '/')}`, ...params.filter(Boolean)].join('&')}`;
}

/**
 * postgres_exporter's DSN: pg_exporter_url when set (as postgresql://: with database discovery on, 0.11 skips a
 * postgres:// URL and reports PostgreSQL down), else the monitor user on the local socket with
 * pg_exporter_params, and a connect timeout of pg_exporter_connect_timeout rounded up to whole seconds (libpq's unit).
 */
export function pgExporterUrl(
  v: Conn & Pick<RoleVars, 'pg_port' | 'pg_exporter_url' | 'pg_exporter_params' | 'pg_exporter_connect_timeout'>,
): string {
  if (v.pg_exporter_url !== '') return v.pg_exporter_url.replace(/^postgres:\/\//, 'postgresql://');
  const timeout = Math.max(1, Math.ceil(v.pg_exporter_connect_timeout / 1000));
  return monitorUrl(v, v.pg_port, 'postgres', [v.pg_exporter_params, `connect_timeout=${timeout}`]);
}

/** The pgbouncer exporter's connection: pgbouncer_exporter_url when set, else the monitor user on pgbouncer's admin console. */
export function pgbouncerExporterUrl(v: Conn & Pick<RoleVars, 'pgbouncer_port' | 'pgbouncer_exporter_url'>): string {
  return v.pgbouncer_exporter_url !== '' ? v.pgbouncer_exporter_url : monitorUrl(v, v.pgbouncer_port, 'pgbouncer', ['sslmode=disable']);
}

/**
 * /etc/default/prometheus-postgres-exporter, read by Debian's unit: the DSN (a secret: root-only file) and $ARGS,
 * Pigsty's port and path, our queries file, and the database discovery Pigsty's pg_exporter_* parameters ask for.
 */
export function pgExporterEnv(
  v: Parameters<typeof pgExporterUrl>[0] &
    Pick<
      RoleVars,
      | 'pg_exporter_port'
      | 'exporter_metrics_path'
      | 'pg_exporter_auto_discovery'
      | 'pg_exporter_exclude_database'
      | 'pg_exporter_include_database'
      | 'pg_exporter_options'
    >,
): string {
  const args = [
    `--web.listen-address=:${v.pg_exporter_port}`,
    `--web.telemetry-path=${v.exporter_metrics_path}`,
    `--extend.query-path=${PG_EXPORTER_QUERIES}`,
    ...(v.pg_exporter_auto_discovery ? ['--auto-discover-databases'] : []),
    ...(v.pg_exporter_auto_discovery && v.pg_exporter_exclude_database !== '' ? [`--exclude-databases=${v.pg_exporter_exclude_database}`] : []),
    ...(v.pg_exporter_auto_discovery && v.pg_exporter_include_database !== '' ? [`--include-databases=${v.pg_exporter_include_database}`] : []),
    v.pg_exporter_options,
  ];
  return (
    "# Written by Pigsty's pg_monitor role (pg_exporter_*): postgres_exporter's connection and command line options.\n" +
    envLine('DATA_SOURCE_NAME', pgExporterUrl(v)) +
    envLine('ARGS', args.filter(Boolean).join(' '))
  );
}

/** /etc/default/pgbouncer_exporter, read by our drop-in: the connection for the launcher (a secret) and its options. */
export function pgbouncerExporterEnv(
  v: Parameters<typeof pgbouncerExporterUrl>[0] & Pick<RoleVars, 'pgbouncer_exporter_port' | 'pgbouncer_exporter_options'>,
): string {
  return (
    "# Written by Pigsty's pg_monitor role (pgbouncer_exporter_*): the pgbouncer exporter's connection and command line options.\n" +
    envLine('PGBOUNCER_URL', pgbouncerExporterUrl(v)) +
    envLine('OPTIONS', `--port=${v.pgbouncer_exporter_port} ${v.pgbouncer_exporter_options}`.trim())
  );
}
