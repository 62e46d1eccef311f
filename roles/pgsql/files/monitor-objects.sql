-- The monitor schema's objects, written by Pigsty's pgsql role in template1 and postgres (new databases inherit them
-- from template1). The role runs this file, one transaction, where the schema's comment does not carry this file's
-- version yet, then records it there: a failure leaves nothing half done, and no function granted too widely.
BEGIN;

-- Heartbeat: one row per cluster, refreshed by monitor.beating() on the primary and replicated to the replicas, so
-- a replica's copy tells how far behind it is, in time, WAL and transactions.
CREATE TABLE IF NOT EXISTS monitor.heartbeat (
    id   varchar(64) PRIMARY KEY,
    ts   timestamptz,
    lsn  bigint,
    txid bigint
);
COMMENT ON TABLE monitor.heartbeat IS 'one row per cluster: when the primary last beat, at which WAL position and transaction';

-- Earlier versions (Pigsty's own too) may differ in return type, which CREATE OR REPLACE cannot change.
DROP FUNCTION IF EXISTS monitor.beating();
DROP FUNCTION IF EXISTS monitor.upsert_heartbeat();

CREATE FUNCTION monitor.upsert_heartbeat() RETURNS monitor.heartbeat
    LANGUAGE sql VOLATILE SET search_path = '' AS
$$
INSERT INTO monitor.heartbeat AS h (id, ts, lsn, txid)
VALUES (coalesce(current_setting('cluster_name', true), ''), now(), pg_catalog.pg_current_wal_lsn() - '0/0'::pg_catalog.pg_lsn,
        pg_catalog.pg_current_xact_id()::text::bigint)
ON CONFLICT (id) DO UPDATE SET ts = excluded.ts, lsn = excluded.lsn, txid = excluded.txid
RETURNING h.*;
$$;
COMMENT ON FUNCTION monitor.upsert_heartbeat() IS 'write this cluster''s heartbeat row (primary only)';

-- One upsert per call on the primary (a composite expanded with .* would run it once per column); the replicated
-- row of this cluster on a replica. It runs as its owner, so monitoring needs no write access to the table.
CREATE FUNCTION monitor.beating()
    RETURNS TABLE (cls text, ts timestamptz, lsn pg_catalog.pg_lsn, lsn_int bigint, txid bigint, status text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS
$$
DECLARE
    beat monitor.heartbeat;
BEGIN
    IF pg_catalog.pg_is_in_recovery() THEN
        SELECT * INTO beat FROM monitor.heartbeat h WHERE h.id = coalesce(current_setting('cluster_name', true), '');
    ELSE
        beat := monitor.upsert_heartbeat();
    END IF;
    IF beat.id IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT beat.id::text, beat.ts, '0/0'::pg_catalog.pg_lsn + beat.lsn, beat.lsn, beat.txid,
        CASE WHEN pg_catalog.pg_is_in_recovery() THEN 'recovery' ELSE 'leading' END;
END;
$$;
COMMENT ON FUNCTION monitor.beating() IS 'beat on the primary, read the replicated beat on a replica';

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

-- The role's default privileges give new functions and tables to other roles (dbrole_readonly, and whatever
-- pg_default_privileges names): take every grant back but the owner's, then give monitoring what it uses.
DO $$
DECLARE
    obj record;
BEGIN
    FOR obj IN
        SELECT format('FUNCTION monitor.%I(%s)', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) AS name, a.grantee
          FROM pg_catalog.pg_proc p, aclexplode(p.proacl) a
         WHERE p.pronamespace = 'monitor'::regnamespace AND p.proname IN ('upsert_heartbeat', 'beating', 'pgbouncer_auth')
           AND a.grantee <> p.proowner
        UNION
        SELECT 'TABLE monitor.heartbeat', a.grantee
          FROM pg_catalog.pg_class c, aclexplode(c.relacl) a
         WHERE c.oid = 'monitor.heartbeat'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %s', obj.name,
                       CASE WHEN obj.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(obj.grantee)) END);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION monitor.upsert_heartbeat(), monitor.beating(), monitor.pgbouncer_auth(text) FROM PUBLIC;
GRANT SELECT ON TABLE monitor.heartbeat TO pg_monitor;
GRANT EXECUTE ON FUNCTION monitor.beating() TO pg_monitor;
