import { describe, expect, it } from 'vitest';
import { parseDefaultPrivilege, pgPrivileges, privilegeStatements } from '../../modules/pg-privileges.ts';
import { fakeHost, psql, psqlRead, runModule } from './fake-host.ts';

describe("Pigsty's default privilege lines", () => {
  it('parse into rules for a role', () => {
    expect(parseDefaultPrivilege('GRANT SELECT     ON TABLES    TO dbrole_readonly', 'dbrole_admin')).toEqual({
      for_role: 'dbrole_admin',
      on: 'TABLES',
      privileges: ['SELECT'],
      to: 'dbrole_readonly',
      state: 'grant',
    });
    expect(parseDefaultPrivilege('revoke insert, update on sequences from "Odd Role" with grant option', 'r', 's')).toEqual({
      for_role: 'r',
      schema: 's',
      on: 'SEQUENCES',
      privileges: ['INSERT', 'UPDATE'],
      to: 'Odd Role',
      state: 'revoke',
      grant_option: true,
    });
    expect(() => parseDefaultPrivilege('GRANT SELECT ON VIEWS TO x', 'r')).toThrow(/cannot read default privilege/);
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

const RULE = { for_role: 'dbuser_dba', on: 'TABLES' as const, privileges: ['SELECT' as const], to: 'dbrole_readonly' };
const SWITCH_WAL = { on: 'FUNCTION' as const, name: 'pg_catalog.pg_switch_wal()', privileges: ['EXECUTE' as const], to: 'dbrole_admin' };
const row = (grantee: string | null, privilege: string) => ({ role: 'dbuser_dba', schema: null, type: 'r', grantee, privilege, grantable: false });
/** The state read: dbuser_dba's global default ACL for tables, and pg_switch_wal's ACL. */
const state = (defaults: unknown[], functionAcl: unknown[] | null) => ({
  stdout: `${JSON.stringify({ version: 170004, defaults, builtin: [], objects: [functionAcl && { name: 'pg_switch_wal()', acl: functionAcl }] })}\n`,
});
const OWNER_ROWS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'].map((p) => row('dbuser_dba', p));

describe('pg_privileges', () => {
  it('leaves default privileges and grants that are already held alone: one read', async () => {
    const host = fakeHost().on(
      psqlRead('meta'),
      state(
        [...OWNER_ROWS, row('dbrole_readonly', 'SELECT')],
        [
          { grantee: null, privilege: 'EXECUTE', grantable: false },
          { grantee: 'dbrole_admin', privilege: 'EXECUTE', grantable: false },
        ],
      ),
    );
    expect((await runModule(pgPrivileges, { db: 'meta', default_privileges: [RULE], grants: [SWITCH_WAL] }, host)).result).toEqual({
      changed: false,
      failed: false,
      statements: [],
    });
    expect(host.sent).toHaveLength(1);
    expect(host.sent[0]?.stdin).toContain("where r.rolname = any(array['dbuser_dba']::text[])");
    expect(host.sent[0]?.stdin).toContain("to_regprocedure('pg_catalog.pg_switch_wal()')");
  });

  it('grants only what is missing, in one transaction, naming the function as the server does', async () => {
    const host = fakeHost()
      .on(psqlRead('meta'), state(OWNER_ROWS, [{ grantee: null, privilege: 'EXECUTE', grantable: false }]))
      .on(psql('meta', 'BEGIN;'));
    await runModule(pgPrivileges, { db: 'meta', default_privileges: [RULE], grants: [SWITCH_WAL] }, host);
    expect(host.sent[1]?.stdin).toBe(
      'BEGIN;\nALTER DEFAULT PRIVILEGES FOR ROLE "dbuser_dba" GRANT SELECT ON TABLES TO "dbrole_readonly";\nGRANT EXECUTE ON FUNCTION pg_switch_wal() TO "dbrole_admin";\nCOMMIT;\n',
    );
  });

  it('in check mode plans a grant on an object an earlier task creates, with a warning, and writes nothing', async () => {
    const host = fakeHost({ check: true }).on(psqlRead('meta'), state(OWNER_ROWS, null));
    const { result, plan } = await runModule(pgPrivileges, { db: 'meta', grants: [SWITCH_WAL] }, host);
    expect(result.statements).toEqual(['GRANT EXECUTE ON FUNCTION pg_catalog.pg_switch_wal() TO "dbrole_admin"']);
    expect(plan?.warnings).toEqual(['function pg_catalog.pg_switch_wal() does not exist (yet)']);
    expect(host.sent).toHaveLength(1);
  });

  it('fails on a missing object outside check mode, and on a privilege the object kind does not have before reading', async () => {
    const host = fakeHost().on(psqlRead('meta'), state(OWNER_ROWS, null));
    expect((await runModule(pgPrivileges, { db: 'meta', grants: [SWITCH_WAL] }, host)).result.msg).toBe(
      'function pg_catalog.pg_switch_wal() does not exist',
    );
    expect(
      (await runModule(pgPrivileges, { db: 'meta', grants: [{ on: 'TABLE', name: 't', privileges: ['USAGE'], to: 'x' }] }, host)).result.msg,
    ).toBe('TABLE t: USAGE cannot be granted on TABLE (valid: ALL, SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN)');
    expect(host.sent).toHaveLength(1);
  });
});
