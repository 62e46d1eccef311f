import { describe, expect, it } from 'vitest';
import { roleStatements, pgRole, type MemberRow, type RoleRow, type RoleState } from '../../modules/pg-role.ts';
import { scramVerifier } from '../../modules/pg-quote.ts';
import { fakeHost, psql, psqlRead, runModule } from './fake-host.ts';

const role = (version: number, memberships: MemberRow[]): RoleState => ({
  version,
  today: '2025-03-30',
  role: {
    superuser: false,
    inherit: true,
    createrole: false,
    createdb: false,
    login: true,
    replication: false,
    bypassrls: false,
    connlimit: -1,
    password: null,
    validuntil: null,
    comment: null,
    parameters: null,
    memberships,
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

const VERIFIER = scramVerifier('DBUser.Meta');
const META: RoleRow = {
  superuser: false,
  inherit: true,
  createrole: false,
  createdb: false,
  login: true,
  replication: false,
  bypassrls: false,
  connlimit: -1,
  password: VERIFIER,
  validuntil: null,
  comment: 'pigsty admin user',
  parameters: null,
  memberships: [{ role: 'dbrole_admin', admin_option: false, inherit_option: true, set_option: true }],
};
/** The one read: every role with its secret, as the state query returns it from PostgreSQL 17. */
const roles = (all: Record<string, RoleRow>) => ({ stdout: `${JSON.stringify({ version: 170004, today: '2025-03-30', roles: all })}\n` });
const ARGS = { name: 'dbuser_meta', password: 'DBUser.Meta', login: true, comment: 'pigsty admin user', roles: ['dbrole_admin'] };

describe('pg_role', () => {
  it('leaves a role whose attributes, comment, membership and password (checked against its SCRAM secret) match alone', async () => {
    const host = fakeHost({ become: { user: 'postgres' } }).on(psqlRead(), roles({ dbuser_meta: META }));
    expect((await runModule(pgRole, ARGS, host)).result).toEqual({ changed: false, failed: false, statements: [] });
    expect(host.sent).toHaveLength(1);
    expect(host.sent[0]?.become).toEqual({ user: 'postgres' });
  });

  it('sets a changed password as a SCRAM verifier, never the plain text, with statement logging off', async () => {
    const host = fakeHost()
      .on(psqlRead(), roles({ dbuser_meta: { ...META, password: scramVerifier('old') } }))
      .on(psql('postgres', 'BEGIN;'));
    const { plan } = await runModule(pgRole, ARGS, host);
    expect(plan?.summary).toBe(`role dbuser_meta: ALTER ROLE "dbuser_meta" PASSWORD '********'`);
    const sent = host.sent[1]!.stdin!;
    expect(sent).toMatch(/^BEGIN;\nSET LOCAL log_statement = 'none';\n/);
    expect(sent).toMatch(
      /\nSET LOCAL pg_stat_statements.track_utility = off;\nALTER ROLE "dbuser_meta" PASSWORD 'SCRAM-SHA-256\$4096:[^']+';\nCOMMIT;\n$/,
    );
    expect(sent).not.toContain('DBUser.Meta');
    expect(plan?.secrets ?? []).not.toContain('DBUser.Meta');
  });

  it('creates a missing role with its attributes, comment and membership, in one transaction', async () => {
    const host = fakeHost().on(psqlRead(), roles({})).on(psql('postgres', 'BEGIN;'));
    const { result } = await runModule(
      pgRole,
      { name: 'dbuser_view', login: true, connlimit: 8, comment: 'read-only viewer', roles: ['dbrole_readonly'] },
      host,
    );
    expect(result.statements).toEqual([
      'CREATE ROLE "dbuser_view" LOGIN CONNECTION LIMIT 8',
      `COMMENT ON ROLE "dbuser_view" IS 'read-only viewer'`,
      'GRANT "dbrole_readonly" TO "dbuser_view"',
    ]);
    expect(host.sent[1]?.stdin).toBe(`BEGIN;\n${(result.statements as string[]).join(';\n')};\nCOMMIT;\n`);
  });

  it('in check mode reports the change and sends only the read', async () => {
    const host = fakeHost({ check: true }).on(psqlRead(), roles({ dbuser_meta: META }));
    expect((await runModule(pgRole, { name: 'dbuser_meta', superuser: true }, host)).result).toMatchObject({
      changed: true,
      statements: ['ALTER ROLE "dbuser_meta" SUPERUSER'],
    });
    expect(host.sent).toHaveLength(1);
  });

  it('fails without quoting a read that may hold secrets', async () => {
    const host = fakeHost().on(psqlRead(), { stdout: `NOTICE: ${VERIFIER}\n` });
    const { result } = await runModule(pgRole, ARGS, host);
    expect(result).toMatchObject({ failed: true, msg: 'reading the roles: psql did not return JSON (output withheld: it may hold secrets)' });
    expect(JSON.stringify(result)).not.toContain(VERIFIER);
  });
});
