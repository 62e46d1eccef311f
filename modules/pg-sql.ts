import { Type } from '@sinclair/typebox';
import { defineModule, ModuleFailure } from '../engine/module.ts';
import { parseResultSets, psqlCommand, psqlError, PgTargetArgs, rowsOptions, type ResultSet } from './pg-client.ts';
import { checkName } from './pg-quote.ts';

export const PgSqlArgs = Type.Object(
  {
    sql: Type.String({ minLength: 1, description: 'SQL (psql input) to run' }),
    ...PgTargetArgs,
    /** Only reads: runs in check mode too, inside read-only transactions, and reports unchanged. */
    readonly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Rows as objects keyed by column name (a later column wins over an earlier one of the same name). */
const asObjects = (set: ResultSet): Record<string, string | null>[] =>
  set.rows.map((row) => Object.fromEntries(set.columns.map((c, i) => [c, row[i] ?? null])));

/** A one-line excerpt of the SQL for summaries. */
function excerpt(sql: string): string {
  const line = sql.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/**
 * Run SQL through psql on a local database as the task's (become) user. Reports changed unless `readonly`;
 * `rows` holds the last result set's rows (values as text, NULL as null), `result_sets` every one.
 */
export const pgSql = defineModule({
  name: 'pg_sql',
  args: PgSqlArgs,
  async plan(ctx, args) {
    const target = { db: checkName(args.db ?? 'postgres', 'db'), port: args.port };
    const what = `SQL on database ${target.db}`;
    const run = async () => {
      const marks = rowsOptions();
      const env: Record<string, string> = args.readonly ? { PGOPTIONS: '-c default_transaction_read_only=on' } : {};
      const result = await ctx.run(psqlCommand(target, marks.options, env), { stdin: args.sql.endsWith('\n') ? args.sql : `${args.sql}\n` });
      if (result.code !== 0) {
        throw new ModuleFailure(`${what} failed: ${psqlError(result)}`, { rc: result.code, stdout: result.stdout, stderr: result.stderr });
      }
      const sets = parseResultSets(result.stdout, marks.title, marks.nullMark);
      if (!sets) return { data: {}, warnings: [`${what}: a value held an ASCII unit or record separator, so rows are not reported`] };
      const last = sets[sets.length - 1];
      return { data: { rows: last ? asObjects(last) : [], result_sets: sets } };
    };
    if (args.readonly) {
      const outcome = await run();
      return { changed: false, data: outcome.data, ...(outcome.warnings ? { warnings: outcome.warnings } : {}) };
    }
    return {
      changed: true,
      summary: `${ctx.check ? 'would run' : 'ran'} ${what}: ${excerpt(args.sql)}`,
      data: { statements: [args.sql] },
      apply: run,
    };
  },
});
