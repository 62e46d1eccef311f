import { describe, expect, it } from 'vitest';
import { databaseStatements, pgDatabase, type DatabaseRow, type DatabaseState } from '../../modules/pg-database.ts';
import { fakeHost, psql, psqlRead, runModule } from './fake-host.ts';

describe('pg_database plans by server version', () => {
  const none = (version: number): DatabaseState => ({ version, db: null });

  it('drops without FORCE before PostgreSQL 13 by terminating sessions first', () => {
    expect(databaseStatements({ name: 'd' }, none(150000)).statements.map((s) => s.sql)).toEqual(['CREATE DATABASE "d"']);
    const existing: DatabaseState = {
      version: 120000,
      db: {
        datistemplate: false,
        datallowconn: true,
        datconnlimit: -1,
        owner: 'postgres',
        encoding_name: 'UTF8',
        tablespace: 'pg_default',
        comment: null,
        parameters: null,
        connect: [],
      },
    };
    expect(databaseStatements({ name: 'd', state: 'absent' }, existing).statements.map((s) => [s.sql, s.standalone])).toEqual([
      [`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'd'`, true],
      ['DROP DATABASE "d"', true],
    ]);
  });

  it('skips STRATEGY before PostgreSQL 15 with a warning, and refuses ICU there', () => {
    const plan = databaseStatements({ name: 'd', template: 't', strategy: 'FILE_COPY' }, none(140010));
    expect(plan.statements.map((s) => s.sql)).toEqual(['CREATE DATABASE "d" TEMPLATE "t"']);
    expect(plan.warnings).toEqual(['strategy FILE_COPY needs PostgreSQL 15+ (the server runs 14); ignored']);
    expect(() => databaseStatements({ name: 'd', locale_provider: 'icu' }, none(140010))).toThrow(
      'locale_provider icu needs PostgreSQL 15+, the server runs 14',
    );
  });
});

/** pg_database's row for meta as the state query reads it from PostgreSQL 17 (to_jsonb of the row, names resolved). */
const META: DatabaseRow & Record<string, unknown> = {
  oid: 16385,
  datname: 'meta',
  datdba: 16384,
  encoding: 6,
  datlocprovider: 'c',
  datistemplate: false,
  datallowconn: true,
  dathasloginevt: false,
  datconnlimit: -1,
  dattablespace: 1663,
  datcollate: 'C',
  datctype: 'C',
  datlocale: null,
  daticurules: null,
  datcollversion: null,
  owner: 'dbuser_meta',
  encoding_name: 'UTF8',
  tablespace: 'pg_default',
  comment: 'pigsty meta database',
  parameters: null,
  connect: [{ grantee: 'dbuser_meta' }, { grantee: 'dbuser_dba' }, { grantee: 'dbuser_monitor' }, { grantee: 'replicator' }],
  sessions: 2,
};
const state = (db: DatabaseRow | null) => ({ stdout: `${JSON.stringify({ version: 170004, db })}\n` });
const ARGS = {
  name: 'meta',
  owner: 'dbuser_meta',
  comment: 'pigsty meta database',
  encoding: 'UTF8',
  locale: 'C',
  revokeconn: true,
  connect_roles: ['dbuser_dba', 'dbuser_monitor', 'replicator'],
};

describe('pg_database', () => {
  it('leaves a database that matches alone: one read, on postgres, as the dbsu', async () => {
    const host = fakeHost({ become: { user: 'postgres' } }).on(psqlRead(), state(META));
    expect((await runModule(pgDatabase, ARGS, host)).result).toEqual({ changed: false, failed: false, statements: [] });
    expect(host.sent).toHaveLength(1);
    expect(host.sent[0]?.stdin).toContain("where d.datname = 'meta'");
  });

  it('creates a missing database outside a transaction, then comments and revokes CONNECT in one', async () => {
    const host = fakeHost().on(psqlRead(), state(null)).on(psql('postgres', 'CREATE DATABASE '));
    const { result } = await runModule(pgDatabase, { ...ARGS, template: 'template0' }, host);
    expect(host.sent[1]?.stdin).toBe(
      [
        `CREATE DATABASE "meta" OWNER "dbuser_meta" TEMPLATE "template0" ENCODING 'UTF8' LOCALE 'C';`,
        'BEGIN;',
        `COMMENT ON DATABASE "meta" IS 'pigsty meta database';`,
        'REVOKE CONNECT ON DATABASE "meta" FROM PUBLIC;',
        'GRANT CONNECT ON DATABASE "meta" TO "dbuser_dba";',
        'GRANT CONNECT ON DATABASE "meta" TO "dbuser_monitor";',
        'GRANT CONNECT ON DATABASE "meta" TO "replicator";',
        'COMMIT;',
        '',
      ].join('\n'),
    );
    expect(result.changed).toBe(true);
  });

  it('converges the owner and warns about a creation-time attribute it cannot change', async () => {
    const host = fakeHost().on(psqlRead(), state(META)).on(psql('postgres', 'BEGIN;'));
    const { result, plan } = await runModule(pgDatabase, { ...ARGS, owner: 'dbuser_app', locale: 'en_US.UTF-8' }, host);
    expect(result.statements).toEqual(['ALTER DATABASE "meta" OWNER TO "dbuser_app"']);
    expect(plan?.warnings).toEqual([
      'database meta exists with lc_collate C (wanted en_US.UTF-8), lc_ctype C (wanted en_US.UTF-8): these are set at creation only; use state recreate to change them',
    ]);
    expect(host.sent[1]?.stdin).toBe('BEGIN;\nALTER DATABASE "meta" OWNER TO "dbuser_app";\nCOMMIT;\n');
  });

  it('in check mode reports the drop and sends only the read', async () => {
    const host = fakeHost({ check: true }).on(psqlRead(), state(META));
    expect((await runModule(pgDatabase, { name: 'meta', state: 'absent' }, host)).result).toMatchObject({
      changed: true,
      statements: ['DROP DATABASE "meta" WITH (FORCE)'],
    });
    expect(host.sent).toHaveLength(1);
  });

  it('refuses drops under the safeguard and a recreate while sessions are connected, before writing', async () => {
    const host = fakeHost().on(psqlRead(), state(META));
    expect((await runModule(pgDatabase, { name: 'meta', state: 'absent', safeguard: true }, host)).result.msg).toBe(
      'pg_safeguard is on: database meta is not dropped; override with -e pg_safeguard=false',
    );
    expect((await runModule(pgDatabase, { name: 'meta', state: 'recreate' }, host)).result.msg).toBe(
      'database meta has 2 connected sessions: not recreated while in use; disconnect them, or force it (pgsql-db: -e dbforce=true terminates them)',
    );
    expect(host.sent).toHaveLength(2);
  });
});
