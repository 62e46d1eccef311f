import { describe, expect, it } from 'vitest';
import { pgSql } from '../../modules/pg-sql.ts';
import { fakeHost, runModule, type Reply, type Sent } from './fake-host.ts';

/** psql's unaligned output for result sets, with the title and NULL markers the command line asked for. */
const rows =
  (sets: (string | null)[][][]) =>
  (sent: Sent): Reply => {
    const title = /title=(pgsty-set-[0-9a-f]+)/.exec(sent.command)![1]!;
    const nullMark = /null=(pgsty-null-[0-9a-f]+)/.exec(sent.command)![1]!;
    const text = sets.map((set) => `${title}\x1e${set.map((row) => row.map((v) => v ?? nullMark).join('\x1f')).join('\x1e')}\n`).join('');
    return { stdout: text };
  };
const isPsql = (sent: Sent): boolean =>
  sent.command.startsWith('cd / && PGCLIENTENCODING=UTF8 ') && sent.command.includes(' psql -X -v ON_ERROR_STOP=1 -f - -q -A -P footer=off');

describe('pg_sql', () => {
  it('runs readonly SQL in check mode too, in read-only transactions, and returns the rows unchanged', async () => {
    const host = fakeHost({ check: true, become: { user: 'postgres' } }).on(
      isPsql,
      rows([
        [
          ['datname', 'owner'],
          ['meta', 'dbuser_meta'],
          ['x', null],
        ],
      ]),
    );
    const { result } = await runModule(pgSql, { sql: 'select datname, owner from dbs', readonly: true, db: 'meta' }, host);
    expect(result).toMatchObject({
      changed: false,
      failed: false,
      rows: [
        { datname: 'meta', owner: 'dbuser_meta' },
        { datname: 'x', owner: null },
      ],
    });
    expect(host.sent).toHaveLength(1);
    expect(host.sent[0]).toMatchObject({ stdin: 'select datname, owner from dbs\n', become: { user: 'postgres' } });
    expect(host.sent[0]?.command).toMatch(/^cd \/ && PGCLIENTENCODING=UTF8 PGOPTIONS='-c default_transaction_read_only=on' psql /);
    expect(host.sent[0]?.command).toContain("-d 'dbname='\"'\"'meta'\"'\"''");
  });

  it('runs other SQL as a change, with every result set returned', async () => {
    const host = fakeHost().on(isPsql, rows([[['count']], [['?column?'], ['1']]]));
    const { result, plan } = await runModule(pgSql, { sql: 'CHECKPOINT;\nselect 1;' }, host);
    expect(plan?.summary).toBe('ran SQL on database postgres: CHECKPOINT; select 1;');
    expect(result).toMatchObject({
      changed: true,
      rows: [{ '?column?': '1' }],
      result_sets: [
        { columns: ['count'], rows: [] },
        { columns: ['?column?'], rows: [['1']] },
      ],
    });
    expect(host.sent[0]?.command).not.toContain('PGOPTIONS');
  });

  it('in check mode reports what would run and sends nothing', async () => {
    const host = fakeHost({ check: true });
    const { result, plan } = await runModule(pgSql, { sql: 'DROP TABLE t' }, host);
    expect(result).toEqual({ changed: true, failed: false, statements: ['DROP TABLE t'] });
    expect(plan?.summary).toBe('would run SQL on database postgres: DROP TABLE t');
    expect(host.sent).toEqual([]);
  });

  it("fails with psql's error, without sudo's noise", async () => {
    const stderr = 'sudo: unable to resolve host meta\npsql:<stdin>:1: ERROR:  relation "t" does not exist\n';
    const host = fakeHost().on(isPsql, { code: 3, stderr });
    expect((await runModule(pgSql, { sql: 'select * from t', readonly: true }, host)).result).toMatchObject({
      failed: true,
      rc: 3,
      msg: 'SQL on database postgres failed: psql:<stdin>:1: ERROR:  relation "t" does not exist',
    });
  });
});
