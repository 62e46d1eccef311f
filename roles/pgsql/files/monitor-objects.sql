-- The monitor schema's objects, written by Pigsty's pgsql role in template1 and postgres (new databases inherit them
-- from template1). Every statement can run again; the role runs the file when the schema's comment does not carry
-- this file's version yet, then records it there.

-- Heartbeat: one row per cluster, refreshed by monitor.beating() on the primary and replicated to the replicas, so
-- a replica's copy tells how far behind it is, in time, WAL and transactions.
CREATE TABLE IF NOT EXISTS monitor.heartbeat (
    id   varchar(64) PRIMARY KEY,
    ts   timestamptz,
    lsn  bigint,
    txid bigint
);
COMMENT ON TABLE monitor.heartbeat IS 'one row per cluster: when the primary last beat, at which WAL position and transaction';
REVOKE ALL ON TABLE monitor.heartbeat FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE monitor.heartbeat TO pg_monitor;

CREATE OR REPLACE FUNCTION monitor.upsert_heartbeat() RETURNS monitor.heartbeat
    LANGUAGE sql VOLATILE SET search_path = '' AS
$$
INSERT INTO monitor.heartbeat AS h (id, ts, lsn, txid)
VALUES (coalesce(current_setting('cluster_name', true), 'unknown'), now(), pg_catalog.pg_current_wal_lsn() - '0/0'::pg_catalog.pg_lsn,
        pg_catalog.pg_current_xact_id()::text::bigint)
ON CONFLICT (id) DO UPDATE SET ts = excluded.ts, lsn = excluded.lsn, txid = excluded.txid
RETURNING h.*;
$$;
COMMENT ON FUNCTION monitor.upsert_heartbeat() IS 'write this cluster''s heartbeat row (primary only)';
REVOKE ALL ON FUNCTION monitor.upsert_heartbeat() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION monitor.upsert_heartbeat() TO pg_monitor;

CREATE OR REPLACE FUNCTION monitor.beating()
    RETURNS TABLE (cls text, ts timestamptz, lsn pg_catalog.pg_lsn, lsn_int bigint, txid bigint, status text)
    LANGUAGE sql VOLATILE SET search_path = '' AS
$$
SELECT b.id::text, b.ts, '0/0'::pg_catalog.pg_lsn + b.lsn, b.lsn, b.txid,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN 'recovery' ELSE 'leading' END
  FROM (SELECT (CASE WHEN pg_catalog.pg_is_in_recovery() THEN (SELECT h FROM monitor.heartbeat h LIMIT 1)
                     ELSE monitor.upsert_heartbeat() END).*) AS b;
$$;
COMMENT ON FUNCTION monitor.beating() IS 'beat on the primary, read the replicated beat on a replica';
REVOKE ALL ON FUNCTION monitor.beating() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION monitor.beating() TO pg_monitor;

-- pgbouncer's auth_query (pgbouncer_auth_query): the password hash of a login role that is no superuser, for
-- pgbouncer's auth_user only. It runs in the database a client connects to (pgbouncer 1.18 has no auth_dbname),
-- which is why every database has it.
CREATE OR REPLACE FUNCTION monitor.pgbouncer_auth(p_username text) RETURNS TABLE (username text, password text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
$$
SELECT a.rolname::text, a.rolpassword
  FROM pg_catalog.pg_authid a
 WHERE a.rolname = p_username AND NOT a.rolsuper AND a.rolcanlogin;
$$;
COMMENT ON FUNCTION monitor.pgbouncer_auth(text) IS 'password hash of a non-superuser login role, for pgbouncer auth_query';
REVOKE ALL ON FUNCTION monitor.pgbouncer_auth(text) FROM PUBLIC;

-- The role's default privileges give every new function to dbrole_readonly and every new table to the business
-- roles: take back what only monitoring (and pgbouncer's superuser auth_user) may use.
DO $$
DECLARE r text;
BEGIN
    FOR r IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname IN ('dbrole_readonly', 'dbrole_offline', 'dbrole_readwrite', 'dbrole_admin') LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE monitor.heartbeat FROM %I', r);
        EXECUTE format('REVOKE ALL ON FUNCTION monitor.upsert_heartbeat(), monitor.beating(), monitor.pgbouncer_auth(text) FROM %I', r);
    END LOOP;
END
$$;
