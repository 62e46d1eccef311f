import { describe, expect, it } from 'vitest';
import { pgSchema } from '../../modules/pg-schema.ts';
import { fakeHost, noDatabase, psql, psqlRead, runModule } from './fake-host.ts';

const DBSU = { user: 'postgres' };
const state = (owner: string | null): { stdout: string } => ({ stdout: `${JSON.stringify({ schema: owner === null ? null : { owner } })}\n` });

describe('pg_schema', () => {
  it('reads the schema as the dbsu and leaves one with the wanted owner alone', async () => {
    const host = fakeHost({ become: DBSU }).on(psqlRead('meta'), state('dbuser_monitor'));
    expect((await runModule(pgSchema, { name: 'monitor', owner: 'dbuser_monitor', db: 'meta' }, host)).result).toEqual({
      changed: false,
      failed: false,
      statements: [],
    });
    expect(host.sent).toHaveLength(1);
    expect(host.sent[0]).toMatchObject({ become: DBSU });
    expect(host.sent[0]?.stdin).toContain("from pg_namespace where nspname = 'monitor'");
  });

  it('creates a missing schema with its owner in one transaction', async () => {
    const host = fakeHost({ become: DBSU }).on(psqlRead('meta'), state(null)).on(psql('meta', 'BEGIN;'));
    const { plan } = await runModule(pgSchema, { name: 'monitor', owner: 'dbuser_monitor', db: 'meta' }, host);
    expect(plan?.summary).toBe('schema monitor in meta: CREATE SCHEMA "monitor" AUTHORIZATION "dbuser_monitor"');
    expect(host.sent[1]?.stdin).toBe('BEGIN;\nCREATE SCHEMA "monitor" AUTHORIZATION "dbuser_monitor";\nCOMMIT;\n');
  });

  it('changes the owner of an existing schema, and drops one with cascade', async () => {
    const host = fakeHost().on(psqlRead(), state('postgres')).on(psql('postgres', 'BEGIN;'));
    expect((await runModule(pgSchema, { name: 'app', owner: 'dbuser_app' }, host)).result.statements).toEqual([
      'ALTER SCHEMA "app" OWNER TO "dbuser_app"',
    ]);
    expect((await runModule(pgSchema, { name: 'app', state: 'absent', cascade: true }, host)).result.statements).toEqual([
      'DROP SCHEMA "app" CASCADE',
    ]);
    expect(host.sent.map((s) => s.stdin).filter((s) => s?.startsWith('BEGIN'))).toEqual([
      'BEGIN;\nALTER SCHEMA "app" OWNER TO "dbuser_app";\nCOMMIT;\n',
      'BEGIN;\nDROP SCHEMA "app" CASCADE;\nCOMMIT;\n',
    ]);
  });

  it('in check mode, in a database an earlier task would create, plans the schema from nothing and writes nothing', async () => {
    const host = fakeHost({ check: true })
      .on(psqlRead('meta'), noDatabase('meta'))
      .on(psql('postgres', 'select count(*) from pg_database'), { stdout: '0\n' });
    const { result } = await runModule(pgSchema, { name: 'monitor', db: 'meta' }, host);
    expect(result).toMatchObject({ changed: true, statements: ['CREATE SCHEMA "monitor"'] });
    expect(host.sent).toHaveLength(2);
  });

  it("fails with psql's error outside check mode, and refuses a name PostgreSQL would truncate", async () => {
    const host = fakeHost().on(psqlRead('meta'), noDatabase('meta'));
    expect((await runModule(pgSchema, { name: 'monitor', db: 'meta' }, host)).result.msg).toBe(
      'reading schema monitor in meta failed: psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "meta" does not exist',
    );
    expect((await runModule(pgSchema, { name: 'x'.repeat(64) }, host)).result.msg).toBe(
      `name "${'x'.repeat(64)}" is 64 bytes long; PostgreSQL names are at most 63 bytes`,
    );
    expect(host.sent).toHaveLength(1);
  });
});
