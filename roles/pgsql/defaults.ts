import type { HbaRule, PgExtensionItem, PgService, PgUser } from '../params.ts';

// Pigsty's default lists, too long to write inline where roles/params.ts declares their parameters.

/** Pigsty's default roles and users of every cluster (pg_default_roles). */
export const PG_DEFAULT_ROLES: PgUser[] = [
  { name: 'dbrole_readonly', login: false, comment: 'role for global read-only access' },
  { name: 'dbrole_offline', login: false, comment: 'role for restricted read-only access' },
  { name: 'dbrole_readwrite', login: false, roles: ['dbrole_readonly'], comment: 'role for global read-write access' },
  { name: 'dbrole_admin', login: false, roles: ['pg_monitor', 'dbrole_readwrite'], comment: 'role for object creation' },
  { name: 'postgres', superuser: true, comment: 'system superuser' },
  { name: 'replicator', replication: true, roles: ['pg_monitor', 'dbrole_readonly'], comment: 'system replicator' },
  {
    name: 'dbuser_dba',
    superuser: true,
    roles: ['dbrole_admin'],
    pgbouncer: true,
    pool_mode: 'session',
    pool_connlimit: 16,
    comment: 'pgsql admin user',
  },
  {
    name: 'dbuser_monitor',
    roles: ['pg_monitor', 'dbrole_readonly'],
    pgbouncer: true,
    parameters: { log_min_duration_statement: 1000 },
    pool_mode: 'session',
    pool_connlimit: 8,
    comment: 'pgsql monitor user',
  },
];

/** Default privileges the admin users give future objects (pg_default_privileges). */
export const PG_DEFAULT_PRIVILEGES: string[] = [
  'GRANT USAGE      ON SCHEMAS    TO dbrole_readonly',
  'GRANT SELECT     ON TABLES     TO dbrole_readonly',
  'GRANT SELECT     ON SEQUENCES  TO dbrole_readonly',
  'GRANT EXECUTE    ON FUNCTIONS  TO dbrole_readonly',
  'GRANT USAGE      ON SCHEMAS    TO dbrole_offline',
  'GRANT SELECT     ON TABLES     TO dbrole_offline',
  'GRANT SELECT     ON SEQUENCES  TO dbrole_offline',
  'GRANT EXECUTE    ON FUNCTIONS  TO dbrole_offline',
  'GRANT INSERT     ON TABLES     TO dbrole_readwrite',
  'GRANT UPDATE     ON TABLES     TO dbrole_readwrite',
  'GRANT DELETE     ON TABLES     TO dbrole_readwrite',
  'GRANT USAGE      ON SEQUENCES  TO dbrole_readwrite',
  'GRANT UPDATE     ON SEQUENCES  TO dbrole_readwrite',
  'GRANT TRUNCATE   ON TABLES     TO dbrole_admin',
  'GRANT REFERENCES ON TABLES     TO dbrole_admin',
  'GRANT TRIGGER    ON TABLES     TO dbrole_admin',
  'GRANT CREATE     ON SCHEMAS    TO dbrole_admin',
];

/** Extensions created in template1 and postgres (pg_default_extensions). */
export const PG_DEFAULT_EXTENSIONS: PgExtensionItem[] = [
  { name: 'pg_stat_statements', schema: 'monitor' },
  { name: 'pgstattuple', schema: 'monitor' },
  { name: 'pg_buffercache', schema: 'monitor' },
  { name: 'pageinspect', schema: 'monitor' },
  { name: 'pg_prewarm', schema: 'monitor' },
  { name: 'pg_visibility', schema: 'monitor' },
  { name: 'pg_freespacemap', schema: 'monitor' },
  { name: 'postgres_fdw', schema: 'public' },
  { name: 'file_fdw', schema: 'public' },
  { name: 'btree_gist', schema: 'public' },
  { name: 'btree_gin', schema: 'public' },
  { name: 'pg_trgm', schema: 'public' },
  { name: 'intagg', schema: 'public' },
  { name: 'intarray', schema: 'public' },
  { name: 'pg_repack' },
];

/** PostgreSQL's default HBA rules (pg_default_hba_rules); business rules (pg_hba_rules) join them by order. */
export const PG_DEFAULT_HBA_RULES: HbaRule[] = [
  { user: '${dbsu}', db: 'all', addr: 'local', auth: 'ident', title: 'dbsu access via local os user ident', order: 100 },
  { user: '${dbsu}', db: 'replication', addr: 'local', auth: 'ident', title: 'dbsu replication from local os ident', order: 150 },
  { user: '${repl}', db: 'replication', addr: 'localhost', auth: 'pwd', title: 'replicator replication from localhost', order: 200 },
  { user: '${repl}', db: 'replication', addr: 'intra', auth: 'pwd', title: 'replicator replication from intranet', order: 250 },
  { user: '${repl}', db: 'postgres', addr: 'intra', auth: 'pwd', title: 'replicator postgres db from intranet', order: 300 },
  { user: '${monitor}', db: 'all', addr: 'localhost', auth: 'pwd', title: 'monitor from localhost with password', order: 350 },
  { user: '${monitor}', db: 'all', addr: 'infra', auth: 'pwd', title: 'monitor from infra host with password', order: 400 },
  { user: '${admin}', db: 'all', addr: 'intra', auth: 'pwd', title: 'admin @ intranet nodes with pwd', order: 450 },
  { user: '${admin}', db: 'all', addr: 'world', auth: 'ssl', title: 'admin @ everywhere with ssl & pwd', order: 500 },
  { user: '+dbrole_readonly', db: 'all', addr: 'localhost', auth: 'pwd', title: 'pgbouncer read/write via local socket', order: 550 },
  { user: '+dbrole_readonly', db: 'all', addr: 'intra', auth: 'pwd', title: 'read/write biz user via password', order: 600 },
  { user: '+dbrole_offline', db: 'all', addr: 'intra', auth: 'pwd', title: 'allow etl offline tasks from intranet', order: 650 },
];

/** pgbouncer's default HBA rules (pgb_default_hba_rules). */
export const PGB_DEFAULT_HBA_RULES: HbaRule[] = [
  { user: '${dbsu}', db: 'pgbouncer', addr: 'local', auth: 'peer', title: 'dbsu local admin access with os ident', order: 100 },
  { user: 'all', db: 'all', addr: 'localhost', auth: 'pwd', title: 'allow all user local access with pwd', order: 150 },
  { user: '${monitor}', db: 'pgbouncer', addr: 'intra', auth: 'pwd', title: 'monitor access via intranet with pwd', order: 200 },
  { user: '${monitor}', db: 'all', addr: 'world', auth: 'deny', title: 'reject all other monitor access addr', order: 250 },
  { user: '${admin}', db: 'all', addr: 'intra', auth: 'pwd', title: 'admin access via intranet with pwd', order: 300 },
  { user: '${admin}', db: 'all', addr: 'world', auth: 'deny', title: 'reject all other admin access addr', order: 350 },
  { user: 'all', db: 'all', addr: 'intra', auth: 'pwd', title: 'allow all user intra access with pwd', order: 400 },
];

/** Pigsty's default services of every cluster (pg_default_services), each a haproxy frontend on every member. */
export const PG_DEFAULT_SERVICES: PgService[] = [
  { name: 'primary', port: 5433, dest: 'default', check: '/primary', selector: '[]' },
  { name: 'replica', port: 5434, dest: 'default', check: '/read-only', selector: '[]', backup: '[? pg_role == `primary` || pg_role == `offline` ]' },
  { name: 'default', port: 5436, dest: 'postgres', check: '/primary', selector: '[]' },
  {
    name: 'offline',
    port: 5438,
    dest: 'postgres',
    check: '/replica',
    selector: '[? pg_role == `offline` || pg_offline_query ]',
    backup: '[? pg_role == `replica` && !pg_offline_query]',
  },
];

/** Pigsty's backup repositories (pgbackrest_repo): a local one, and MinIO's for pgbackrest_method minio. */
export const PGBACKREST_REPO: Record<string, Record<string, string | number | boolean>> = {
  local: { path: '/pg/backup', retention_full_type: 'count', retention_full: 2 },
  minio: {
    type: 's3',
    s3_endpoint: 'sss.pigsty',
    s3_region: 'us-east-1',
    s3_bucket: 'pgsql',
    s3_key: 'pgbackrest',
    s3_key_secret: 'S3User.Backup',
    s3_uri_style: 'path',
    path: '/pgbackrest',
    storage_port: 9000,
    storage_ca_file: '/etc/pki/ca.crt',
    block: 'y',
    bundle: 'y',
    bundle_limit: '20MiB',
    bundle_size: '128MiB',
    cipher_type: 'aes-256-cbc',
    cipher_pass: 'pgBackRest',
    retention_full_type: 'time',
    retention_full: 14,
  },
};
