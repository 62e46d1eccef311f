import { describe, expect, it } from 'vitest';
import { ModuleFailure } from '../../engine/module.ts';
import {
  buildScript,
  listElements,
  parseResultSets,
  psqlCommand,
  psqlError,
  queryJson,
  runStatements,
  settingStatements,
  statement,
} from '../../modules/pg-client.ts';
import { fakeHost } from './fake-host.ts';

describe('psql command and script', () => {
  it('passes the database as a conninfo value and never puts SQL on the command line', () => {
    const cmd = psqlCommand({ db: "we'ird db", port: 5433 }, ['-q', '-At']);
    expect(cmd).toBe(`cd / && PGCLIENTENCODING=UTF8 psql -X -v ON_ERROR_STOP=1 -f - -q -At -d 'dbname='"'"'we\\'"'"'ird db'"'"'' -p 5433`);
  });

  it('groups statements into transactions around the ones that cannot run in one', () => {
    const script = buildScript([
      statement('ALTER DATABASE "a" WITH IS_TEMPLATE false'),
      statement('DROP DATABASE "a" WITH (FORCE)', { standalone: true }),
      statement('CREATE DATABASE "a"', { standalone: true }),
      statement('COMMENT ON DATABASE "a" IS \'x\''),
    ]);
    expect(script).toBe(
      'BEGIN;\nALTER DATABASE "a" WITH IS_TEMPLATE false;\nCOMMIT;\nDROP DATABASE "a" WITH (FORCE);\nCREATE DATABASE "a";\n' +
        'BEGIN;\nCOMMENT ON DATABASE "a" IS \'x\';\nCOMMIT;\n',
    );
  });

  it('turns statement logging off in transactions of a script that carries a password', () => {
    const script = buildScript([{ sql: `ALTER ROLE "u" PASSWORD 'SCRAM...'`, shown: `ALTER ROLE "u" PASSWORD '********'`, secret: 'SCRAM...' }]);
    expect(script).toMatch(/^BEGIN;\nSET LOCAL log_statement = 'none';\n.*ALTER ROLE "u" PASSWORD 'SCRAM\.\.\.';\nCOMMIT;\n$/s);
  });

  it('never shows the secret a statement carries in a failure, even where the server quotes the statement', async () => {
    const stderr = `psql:<stdin>:6: ERROR:  syntax error at or near "x"\nLINE 1: ALTER ROLE "u" PASSWORD 'pl@in' x\n`;
    const { ctx } = fakeHost().on(psqlCommand({ db: 'postgres' }, ['-q', '-At']), { code: 3, stdout: 'pl@in', stderr });
    const secret = { sql: `ALTER ROLE "u" PASSWORD 'pl@in' x`, shown: `ALTER ROLE "u" PASSWORD '********' x`, secret: 'pl@in' };
    const failure = await runStatements(ctx, { db: 'postgres' }, [secret], 'role u').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ModuleFailure);
    expect(JSON.stringify({ message: (failure as ModuleFailure).message, ...(failure as ModuleFailure).details })).not.toContain('pl@in');
    expect((failure as ModuleFailure).message).toBe(
      `role u failed: psql:<stdin>:6: ERROR:  syntax error at or near "x"\nLINE 1: ALTER ROLE "u" PASSWORD '********' x`,
    );
  });

  it('never shows a secret with quotes or backslashes in the SQL literal form the server quotes back', async () => {
    for (const [secret, literal] of [["it's", "'it''s'"] as const, ["a\\b'c", "E'a\\\\b''c'"] as const]) {
      const stderr = `psql:<stdin>:6: ERROR:  syntax error at or near "x"\nLINE 1: ALTER ROLE "u" PASSWORD ${literal} x\n`;
      const { ctx } = fakeHost().on(psqlCommand({ db: 'postgres' }, ['-q', '-At']), { code: 3, stdout: '', stderr });
      const statement = { sql: `ALTER ROLE "u" PASSWORD ${literal} x`, shown: `ALTER ROLE "u" PASSWORD '********' x`, secret };
      const failure = (await runStatements(ctx, { db: 'postgres' }, [statement], 'role u').catch((e: unknown) => e)) as ModuleFailure;
      expect(failure.message).toBe(
        `role u failed: psql:<stdin>:6: ERROR:  syntax error at or near "x"\nLINE 1: ALTER ROLE "u" PASSWORD ${literal.startsWith('E') ? 'E' : ''}'********' x`,
      );
      expect(JSON.stringify(failure.details)).not.toContain(secret.slice(0, 2));
    }
  });

  it('does not quote a secret read that is not JSON in its failure, and quotes any other read', async () => {
    const stdout = 'NOTICE from psqlrc\n{"roles": {"u": {"password": "SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2VydmVy"}}}';
    const { ctx } = fakeHost().on(psqlCommand({ db: 'postgres' }, ['-q', '-At']), { stdout });
    const secret = await queryJson(ctx, { db: 'postgres' }, 'select 1', 'reading the roles', { secret: true }).catch((e: unknown) => e);
    expect(secret).toBeInstanceOf(ModuleFailure);
    expect((secret as ModuleFailure).message).toBe('reading the roles: psql did not return JSON (output withheld: it may hold secrets)');
    expect(JSON.stringify((secret as ModuleFailure).details)).not.toContain('SCRAM');
    const plain = await queryJson(ctx, { db: 'postgres' }, 'select 1', 'reading the schemas').catch((e: unknown) => e);
    expect((plain as ModuleFailure).message).toBe(`reading the schemas: psql did not return JSON: ${stdout}`);
  });

  it("keeps psql's messages and drops sudo's noise in front of them", () => {
    const stderr =
      'sudo: unable to resolve host node-3: Temporary failure\npsql:<stdin>:2: ERROR:  relation "nope" does not exist\nLINE 1: select * from nope;\n';
    expect(psqlError({ code: 3, stdout: '', stderr })).toBe('psql:<stdin>:2: ERROR:  relation "nope" does not exist\nLINE 1: select * from nope;');
  });
});

describe('result sets', () => {
  const T = 'TITLE';
  const N = 'NULL';
  it('splits result sets by their title and keeps NULL apart from the empty string', () => {
    const out = `TITLE\x1ea\x1fb\x1e1\x1fNULL\x1e\x1fx,"y"\nz\nTITLE\x1ecount\nTITLE\x1e?column?\x1e3\n`;
    expect(parseResultSets(out, T, N)).toEqual([
      {
        columns: ['a', 'b'],
        rows: [
          ['1', null],
          ['', 'x,"y"\nz'],
        ],
      },
      { columns: ['count'], rows: [] },
      { columns: ['?column?'], rows: [['3']] },
    ]);
  });

  it('gives nothing for output without result sets, and undefined when a value held a separator', () => {
    expect(parseResultSets('', T, N)).toEqual([]);
    expect(parseResultSets('TITLE\x1ea\x1fb\x1e1\x1f2\x1f3\n', T, N)).toBeUndefined();
  });
});

describe('role and database settings', () => {
  it('splits list settings as the server stores them, folding bare names', () => {
    expect(listElements('"$user", public')).toEqual(['$user', 'public']);
    expect(listElements('Monitor,public')).toEqual(['monitor', 'public']);
    expect(listElements('"We,ird", x')).toEqual(['We,ird', 'x']);
    expect(listElements('')).toEqual([]);
  });

  it('sets only what differs, resets nulls that are set, and leaves unlisted settings alone', () => {
    const stored = ['work_mem=64MB', 'search_path="$user", public', 'statement_timeout=0', 'DateStyle=ISO, MDY'];
    const statements = settingStatements('ALTER ROLE "u"', stored, {
      work_mem: '64MB',
      search_path: '"$user",public',
      statement_timeout: '5s',
      datestyle: null,
      lock_timeout: null,
      'pg_stat_statements.track': 'all',
    });
    expect(statements.map((s) => s.sql)).toEqual([
      `ALTER ROLE "u" SET "statement_timeout" = '5s'`,
      `ALTER ROLE "u" RESET "datestyle"`,
      `ALTER ROLE "u" SET "pg_stat_statements"."track" = 'all'`,
    ]);
    expect(settingStatements('ALTER ROLE "u"', null, { search_path: 'monitor, public' })[0]?.sql).toBe(
      `ALTER ROLE "u" SET "search_path" = 'monitor', 'public'`,
    );
  });
});
