import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import type { ExecResult } from '../engine/connection/types.ts';
import { ModuleFailure, type ModuleContext, type Plan } from '../engine/module.ts';
import { conninfoValue, quoteIdent, quoteLiteral } from './pg-quote.ts';

/** Where the SQL goes: a database on the local server's unix socket, at a port. */
export interface PgTarget {
  db: string;
  port?: number;
}

/** Arguments every pg_* module takes to pick the database and port. */
export const PgTargetArgs = {
  db: Type.Optional(Type.String({ minLength: 1, description: 'database to connect to (default postgres)' })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
};

/** One statement to run, with the form shown to people (secrets masked). */
export interface Statement {
  sql: string;
  shown: string;
  /** Cannot run inside a transaction block (CREATE/DROP DATABASE). */
  standalone?: boolean;
  /** The password or verifier it carries: its transaction turns statement logging off, and failures never show it. */
  secret?: string;
}

/** A statement without secrets. */
export function statement(sql: string, options: { standalone?: boolean } = {}): Statement {
  return { sql, shown: sql, ...options };
}

/** The psql command line: no psqlrc, stop at the first error, SQL on stdin; the database is a conninfo value so no name is read as options. */
export function psqlCommand(target: PgTarget, options: string[], env: Record<string, string> = {}): string {
  const parts = ['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-f', '-', ...options, '-d', `dbname=${conninfoValue(target.db)}`];
  if (target.port !== undefined) parts.push('-p', String(target.port));
  // From /, since the become user may not read the login user's working directory.
  const vars = Object.entries({ PGCLIENTENCODING: 'UTF8', ...env }).map(([k, v]) => `${k}=${shq(v)}`);
  return `cd / && ${vars.join(' ')} ${parts.map(shq).join(' ')}`;
}

/** psql's own messages from a failed run, without sudo's or the shell's noise in front of them. */
export function psqlError(result: ExecResult): string {
  const lines = result.stderr.split('\n');
  const first = lines.findIndex((l) => /^(psql:|ERROR:|FATAL:|WARNING:)/.test(l));
  const text = (first >= 0 ? lines.slice(first) : lines).join('\n').trim();
  return text || result.stdout.trim() || `psql exited with code ${result.code}`;
}

function fail(what: string, result: ExecResult, secrets: string[] = []): never {
  // A server error can quote the statement it failed on, where a secret is inside an SQL literal (quotes doubled).
  const forms = secrets.flatMap((secret) => [quoteLiteral(secret).replace(/^E?'|'$/g, ''), secret]).filter(Boolean);
  const scrub = (text: string) => forms.reduce((t, form) => t.split(form).join('********'), text);
  throw new ModuleFailure(scrub(`${what} failed: ${psqlError(result)}`), {
    rc: result.code,
    stdout: scrub(result.stdout),
    stderr: scrub(result.stderr),
  });
}

/**
 * Run one read-only query that returns a single JSON value and parse it. In check mode a database that does
 * not exist yet (an earlier task would create it) gives undefined instead of a failure; that costs a second
 * query, on the postgres database, only when the first one could not connect. A `secret` read (role verifiers)
 * is never quoted in its failure.
 */
export async function queryJson<T>(
  ctx: ModuleContext,
  target: PgTarget,
  sql: string,
  what: string,
  options: { secret?: boolean } = {},
): Promise<T | undefined> {
  const result = await ctx.run(psqlCommand(target, ['-q', '-At']), { stdin: sql });
  if (result.code !== 0) {
    if (ctx.check && target.db !== 'postgres' && !(await databaseExists(ctx, target))) return undefined;
    fail(what, result);
  }
  const text = result.stdout.trim();
  try {
    return JSON.parse(text) as T;
  } catch {
    // A read of secrets (role verifiers) must not show them even when it went wrong.
    if (options.secret)
      throw new ModuleFailure(`${what}: psql did not return JSON (output withheld: it may hold secrets)`, { stderr: result.stderr });
    throw new ModuleFailure(`${what}: psql did not return JSON: ${text.slice(0, 200)}`, { stdout: result.stdout, stderr: result.stderr });
  }
}

async function databaseExists(ctx: ModuleContext, target: PgTarget): Promise<boolean> {
  const sql = `select count(*) from pg_database where datname = ${quoteLiteral(target.db)}`;
  const result = await ctx.run(psqlCommand({ ...target, db: 'postgres' }, ['-q', '-At']), { stdin: sql });
  return result.code !== 0 || result.stdout.trim() !== '0';
}

// Keep a password's statement out of the server log and pg_stat_statements, whatever their settings.
const QUIET_SECRETS = [
  "SET LOCAL log_statement = 'none';",
  'SET LOCAL log_min_duration_statement = -1;',
  "SET LOCAL log_min_error_statement = 'panic';",
  'SET LOCAL pg_stat_statements.track_utility = off;',
];

/** The script that runs statements in order: consecutive ones in one transaction, standalone ones between them. */
export function buildScript(statements: Statement[]): string {
  const lines: string[] = [];
  let inTransaction = false;
  const quiet = statements.some((s) => s.secret);
  for (const s of statements) {
    if (s.standalone && inTransaction) lines.push('COMMIT;');
    if (!s.standalone && !inTransaction) lines.push('BEGIN;', ...(quiet ? QUIET_SECRETS : []));
    inTransaction = !s.standalone;
    lines.push(`${s.sql};`);
  }
  if (inTransaction) lines.push('COMMIT;');
  return `${lines.join('\n')}\n`;
}

/** Run statements in one psql call (see buildScript); the first error stops it and rolls back its transaction. */
export async function runStatements(ctx: ModuleContext, target: PgTarget, statements: Statement[], what: string): Promise<void> {
  const result = await ctx.run(psqlCommand(target, ['-q', '-At']), { stdin: buildScript(statements) });
  if (result.code !== 0)
    fail(
      what,
      result,
      statements.flatMap((s) => (s.secret ? [s.secret] : [])),
    );
}

/** A plan that runs statements: unchanged when there are none; the summary and data list them with secrets masked. */
export function statementPlan(ctx: ModuleContext, target: PgTarget, what: string, statements: Statement[], warnings: string[]): Plan {
  const shown = statements.map((s) => s.shown);
  const plan: Plan = { changed: statements.length > 0, data: { statements: shown } };
  if (warnings.length) plan.warnings = warnings;
  if (statements.length) {
    plan.summary = `${what}: ${shown.join('; ')}`;
    plan.apply = () => runStatements(ctx, target, statements, what);
  }
  return plan;
}

/** What a server version number (server_version_num) means for the SQL we may send. */
export function majorVersion(versionNum: number): number {
  return Math.floor(versionNum / 10000);
}

//------------------------------------------------------------------ result rows

/** One statement's result set: its column names and rows (NULL as null). */
export interface ResultSet {
  columns: string[];
  rows: (string | null)[][];
}

const FIELD_SEP = '\x1f';
const RECORD_SEP = '\x1e';

/**
 * Markers for rows output: unaligned, fields and records split by the ASCII unit/record separators, each
 * result set titled with a random marker and NULL printed as another, so result sets and NULLs stay apart.
 */
export function rowsOptions(): { options: string[]; title: string; nullMark: string } {
  const nonce = randomBytes(12).toString('hex');
  const title = `pgsty-set-${nonce}`;
  const nullMark = `pgsty-null-${nonce}`;
  const options = ['-q', '-A', '-P', 'footer=off', '-P', `title=${title}`, '-P', `null=${nullMark}`];
  options.push('-P', `fieldsep=${FIELD_SEP}`, '-P', `recordsep=${RECORD_SEP}`);
  return { options, title, nullMark };
}

/** Split rows output (see rowsOptions) into result sets; undefined when a value held a separator and the split is ambiguous. */
export function parseResultSets(stdout: string, title: string, nullMark: string): ResultSet[] | undefined {
  const sets: ResultSet[] = [];
  const blocks = stdout.split(`${title}${RECORD_SEP}`);
  if (blocks.shift() !== '') return blocks.length ? undefined : [];
  for (const block of blocks) {
    // psql ends each result set with one newline instead of a record separator.
    const [header = '', ...rows] = block.replace(/\n$/, '').split(RECORD_SEP);
    const columns = header === '' ? [] : header.split(FIELD_SEP);
    const parsed = rows.map((r) => r.split(FIELD_SEP).map((v) => (v === nullMark ? null : v)));
    if (parsed.some((r) => r.length !== Math.max(columns.length, 1))) return undefined;
    sets.push({ columns, rows: columns.length ? parsed : parsed.map(() => []) });
  }
  return sets;
}

//------------------------------------------------------------------ ALTER ROLE/DATABASE SET

/** A setting name as ALTER ... SET takes it: identifiers with dots (custom settings such as pg_stat_statements.track). */
export const SETTING_NAME = '^[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)*$';

/** Per-role or per-database settings; null resets one. Settings not listed are left alone. */
export const SettingsArg = Type.Record(
  Type.String({ pattern: SETTING_NAME }),
  Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
  { additionalProperties: false, description: 'settings as name: value (null resets one)' },
);

// Settings whose list elements the server stores as quoted identifiers (GUC_LIST_QUOTE) and that a role or database may set.
const LIST_SETTINGS = new Set(['search_path', 'temp_tablespaces', 'session_preload_libraries', 'local_preload_libraries']);

/** Split a list setting into elements: "quoted" ones unquoted, bare ones folded to lower case as SQL folds identifiers. */
export function listElements(value: string): string[] {
  const elements: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,]*?))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < value.length && (m = re.exec(value))) {
    if (m[1] !== undefined) elements.push(m[1].replace(/""/g, '"'));
    else if (m[2]) elements.push(m[2].toLowerCase());
    if (m[0] === '') break;
  }
  return elements;
}

const quoteSettingName = (name: string): string => name.split('.').map(quoteIdent).join('.');

/** The value part of SET name = ...: list elements as separate literals (the server quotes them), anything else as one literal. */
function settingValue(name: string, value: string | number | boolean): string {
  if (LIST_SETTINGS.has(name.toLowerCase()) && typeof value === 'string') return listElements(value).map(quoteLiteral).join(', ');
  return quoteLiteral(String(value));
}

function sameSetting(name: string, stored: string, wanted: string | number | boolean): boolean {
  if (LIST_SETTINGS.has(name.toLowerCase()) && typeof wanted === 'string') {
    return JSON.stringify(listElements(stored)) === JSON.stringify(listElements(wanted));
  }
  return stored === String(wanted);
}

/**
 * Statements that bring stored settings (pg_db_role_setting.setconfig, "name=value" entries) to the wanted ones;
 * `alter` is the statement head, e.g. ALTER ROLE "x".
 */
export function settingStatements(
  alter: string,
  stored: string[] | null,
  wanted: Record<string, string | number | boolean | null> | undefined,
): Statement[] {
  const current = new Map<string, string>();
  for (const entry of stored ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) current.set(entry.slice(0, eq).toLowerCase(), entry.slice(eq + 1));
  }
  const statements: Statement[] = [];
  for (const [name, value] of Object.entries(wanted ?? {})) {
    const have = current.get(name.toLowerCase());
    if (value === null) {
      if (have !== undefined) statements.push(statement(`${alter} RESET ${quoteSettingName(name)}`));
    } else if (have === undefined || !sameSetting(name, have, value)) {
      statements.push(statement(`${alter} SET ${quoteSettingName(name)} = ${settingValue(name, value)}`));
    }
  }
  return statements;
}
