import { describe, expect, it } from 'vitest';
import { databaseStatements, type DatabaseState } from '../../modules/pg-database.ts';
import { privilegeStatements } from '../../modules/pg-privileges.ts';
import { roleStatements, type MemberRow, type RoleState } from '../../modules/pg-role.ts';

const role = (version: number, memberships: MemberRow[]): RoleState => ({
  version,
  today: '2025-03-30',
  role: {
    superuser: false, inherit: true, createrole: false, createdb: false, login: true, replication: false, bypassrls: false,
    connlimit: -1, password: null, validuntil: null, comment: null, parameters: null, memberships,
  },
});

describe('pg_role plans by server version', () => {
  it('grants PostgreSQL 16 membership options in one GRANT and revokes false ones with REVOKE ... OPTION FOR', () => {
    const warnings: string[] = [];
    const fresh = roleStatements({ name: 'u', roles: [{ name: 'g', admin: true, inherit: false, set: true }] }, role(160004, []), warnings);
    expect(fresh.map((s) => s.sql)).toEqual(['GRANT "g" TO "u" WITH ADMIN OPTION, INHERIT FALSE, SET OPTION']);
    const held = role(160004, [{ role: 'g', admin_option: false, inherit_option: true, set_option: true }]);
    const change = roleStatements({ name: 'u', roles: [{ name: 'g', admin: true, inherit: false, set: true }] }, held, warnings);
    expect(change.map((s) => s.sql)).toEqual(['GRANT "g" TO "u" WITH ADMIN OPTION', 'REVOKE INHERIT OPTION FOR "g" FROM "u"']);
    expect(warnings).toEqual([]);
  });

  it('on PostgreSQL 15 uses WITH ADMIN OPTION only and warns about the rest', () => {
    const warnings: string[] = [];
    const fresh = roleStatements({ name: 'u', roles: [{ name: 'g', admin: false, inherit: false }] }, role(150012, []), warnings);
    expect(fresh.map((s) => s.sql)).toEqual(['GRANT "g" TO "u"']);
    expect(warnings).toEqual(['membership of u in g: PostgreSQL 15 has no INHERIT option (PostgreSQL 16+), ignored']);
  });

  it('computes expire_in from the server date and leaves unlisted attributes alone', () => {
    const s = roleStatements({ name: 'u', expire_in: 3, superuser: false, replication: true }, role(150012, []), []);
    expect(s.map((x) => x.sql)).toEqual([`ALTER ROLE "u" REPLICATION VALID UNTIL '2025-04-02 00:00:00'`]);
  });
});

describe('pg_database plans by server version', () => {
  const none = (version: number): DatabaseState => ({ version, db: null });

  it('drops without FORCE before PostgreSQL 13 by terminating sessions first', () => {
    expect(databaseStatements({ name: 'd' }, none(150000)).statements.map((s) => s.sql)).toEqual(['CREATE DATABASE "d"']);
    const existing: DatabaseState = {
      version: 120000,
      db: { datistemplate: false, datallowconn: true, datconnlimit: -1, owner: 'postgres', encoding_name: 'UTF8', tablespace: 'pg_default', comment: null, parameters: null, connect: [] },
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
    expect(() => databaseStatements({ name: 'd', locale_provider: 'icu' }, none(140010))).toThrow('locale_provider icu needs PostgreSQL 15+, the server runs 14');
  });
});

describe('pg_privileges plans', () => {
  it('reads a missing global default ACL as the built-in one, and a schema rule only from its own row', () => {
    const builtin = [
      { role: 'o', schema: null, type: 'f', grantee: null, privilege: 'EXECUTE', grantable: false },
      { role: 'o', schema: null, type: 'f', grantee: 'o', privilege: 'EXECUTE', grantable: false },
    ];
    const state = { version: 170000, defaults: [], builtin, objects: [] };
    const plan = privilegeStatements(
      [
        { for_role: 'o', on: 'FUNCTIONS', privileges: ['EXECUTE'], to: 'PUBLIC', state: 'revoke' },
        { for_role: 'o', on: 'FUNCTIONS', privileges: ['EXECUTE'], to: 'PUBLIC', schema: 's' },
        { for_role: 'o', on: 'TABLES', privileges: ['ALL'], to: 'r' },
      ],
      [],
      state,
      false,
    );
    expect(plan.statements.map((s) => s.sql)).toEqual([
      'ALTER DEFAULT PRIVILEGES FOR ROLE "o" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "o" IN SCHEMA "s" GRANT EXECUTE ON FUNCTIONS TO PUBLIC',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "o" GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN ON TABLES TO "r"',
    ]);
  });
});
