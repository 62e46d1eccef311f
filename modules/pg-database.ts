import { Type, type Static } from '@sinclair/typebox';
import { defineModule, ModuleFailure } from '../engine/module.ts';
import { Enum } from '../engine/schema.ts';
import { majorVersion, PgTargetArgs, queryJson, settingStatements, SettingsArg, statement, statementPlan, type Statement } from './pg-client.ts';
import { checkName, quoteIdent, quoteLiteral } from './pg-quote.ts';

export const PgDatabaseArgs = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    /** recreate drops the database (its data too) and creates it again. */
    state: Type.Optional(Enum(['create', 'absent', 'recreate'])),
    owner: Type.Optional(Type.String({ minLength: 1 })),
    template: Type.Optional(Type.String({ minLength: 1 })),
    /** PostgreSQL 15+: FILE_COPY copies the template's files, the fast way to clone a big template. */
    strategy: Type.Optional(Enum(['FILE_COPY', 'WAL_LOG'])),
    encoding: Type.Optional(Type.String({ minLength: 1 })),
    locale: Type.Optional(Type.String({ minLength: 1 })),
    lc_collate: Type.Optional(Type.String({ minLength: 1 })),
    lc_ctype: Type.Optional(Type.String({ minLength: 1 })),
    locale_provider: Type.Optional(Enum(['libc', 'icu', 'builtin'])),
    icu_locale: Type.Optional(Type.String({ minLength: 1 })),
    tablespace: Type.Optional(Type.String({ minLength: 1 })),
    is_template: Type.Optional(Type.Boolean()),
    allowconn: Type.Optional(Type.Boolean()),
    connlimit: Type.Optional(Type.Integer({ minimum: -1 })),
    comment: Type.Optional(Type.String()),
    /** true: only the owner and connect_roles may connect (CONNECT revoked from PUBLIC); false: PUBLIC may connect. */
    revokeconn: Type.Optional(Type.Boolean()),
    /** Roles given CONNECT when revokeconn is true (Pigsty: the replication, monitor and admin users). */
    connect_roles: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    parameters: Type.Optional(SettingsArg),
    /** Refuse to drop an existing database (state absent or recreate): Pigsty's pg_safeguard. */
    safeguard: Type.Optional(Type.Boolean()),
    /** recreate drops a database other sessions are connected to (they are terminated); refused otherwise. */
    force: Type.Optional(Type.Boolean()),
    port: PgTargetArgs.port,
  },
  { additionalProperties: false },
);
type Args = Static<typeof PgDatabaseArgs>;

/** pg_database's row as to_jsonb gives it (columns vary by version), with names resolved. */
export interface DatabaseRow {
  datistemplate: boolean;
  datallowconn: boolean;
  datconnlimit: number;
  datcollate?: string | null;
  datctype?: string | null;
  datlocprovider?: string;
  daticulocale?: string | null;
  datlocale?: string | null;
  owner: string;
  encoding_name: string;
  tablespace: string;
  comment: string | null;
  parameters: string[] | null;
  /** Who may CONNECT (grantee null: PUBLIC), from the ACL or its default. */
  connect: { grantee: string | null }[];
  /** Client sessions connected to the database (other than the one reading this; autovacuum workers do not count). */
  sessions?: number;
}

export interface DatabaseState {
  version: number;
  db: DatabaseRow | null;
}

function stateQuery(name: string): string {
  return `select json_build_object(
  'version', current_setting('server_version_num')::int,
  'db', (select to_jsonb(d) - 'datacl' || jsonb_build_object(
      'owner', pg_get_userbyid(d.datdba), 'encoding_name', pg_encoding_to_char(d.encoding), 'tablespace', t.spcname,
      'comment', shobj_description(d.oid, 'pg_database'),
      'parameters', (select s.setconfig from pg_db_role_setting s where s.setdatabase = d.oid and s.setrole = 0),
      'connect', (select coalesce(jsonb_agg(jsonb_build_object(
                     'grantee', case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end)), '[]')
                  from aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a where a.privilege_type = 'CONNECT'),
      'sessions', (select count(*) from pg_stat_activity a where a.datid = d.oid and a.backend_type = 'client backend' and a.pid <> pg_backend_pid()))
    from pg_database d join pg_tablespace t on t.oid = d.dattablespace where d.datname = ${quoteLiteral(name)}))`;
}

const PROVIDERS: Record<string, string> = { c: 'libc', i: 'icu', b: 'builtin' };
/** Locale names compare as the C library matches them: case and the codeset's dash do not matter. */
const sameLocale = (a: string, b: string): boolean => a.toLowerCase().replace('utf-8', 'utf8') === b.toLowerCase().replace('utf-8', 'utf8');
/** Encoding names compare as PostgreSQL resolves them: letters and digits only, any case. */
const sameEncoding = (a: string, b: string): boolean => a.toLowerCase().replace(/[^a-z0-9]/g, '') === b.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Refuse options the server cannot honour before anything runs. */
function checkSupport(args: Args, major: number, warnings: string[]): void {
  if (args.locale_provider === 'icu' && major < 15) throw new ModuleFailure(`locale_provider icu needs PostgreSQL 15+, the server runs ${major}`);
  if (args.locale_provider === 'builtin' && major < 17)
    throw new ModuleFailure(`locale_provider builtin needs PostgreSQL 17+, the server runs ${major}`);
  if (args.strategy && major < 15) warnings.push(`strategy ${args.strategy} needs PostgreSQL 15+ (the server runs ${major}); ignored`);
}

function createStatement(args: Args, major: number): Statement {
  const options: string[] = [];
  if (args.owner) options.push(`OWNER ${quoteIdent(args.owner)}`);
  if (args.template) options.push(`TEMPLATE ${quoteIdent(args.template)}`);
  if (args.strategy && major >= 15) options.push(`STRATEGY ${args.strategy}`);
  if (args.encoding) options.push(`ENCODING ${quoteLiteral(args.encoding)}`);
  if (args.locale) options.push(`LOCALE ${quoteLiteral(args.locale)}`);
  if (args.lc_collate) options.push(`LC_COLLATE ${quoteLiteral(args.lc_collate)}`);
  if (args.lc_ctype) options.push(`LC_CTYPE ${quoteLiteral(args.lc_ctype)}`);
  if (args.locale_provider) options.push(`LOCALE_PROVIDER ${args.locale_provider}`);
  if (args.icu_locale) options.push(`ICU_LOCALE ${quoteLiteral(args.icu_locale)}`);
  if (args.tablespace) options.push(`TABLESPACE ${quoteIdent(args.tablespace)}`);
  if (args.is_template !== undefined) options.push(`IS_TEMPLATE ${args.is_template}`);
  if (args.allowconn !== undefined) options.push(`ALLOW_CONNECTIONS ${args.allowconn}`);
  if (args.connlimit !== undefined) options.push(`CONNECTION LIMIT ${args.connlimit}`);
  return statement([`CREATE DATABASE ${quoteIdent(args.name)}`, ...options].join(' '), { standalone: true });
}

/** Warnings for creation-time attributes of an existing database that differ from the arguments: they cannot change in place. */
function immutableWarnings(args: Args, row: DatabaseRow): string[] {
  const differs: string[] = [];
  if (args.encoding && !sameEncoding(args.encoding, row.encoding_name)) differs.push(`encoding ${row.encoding_name} (wanted ${args.encoding})`);
  const collate = args.lc_collate ?? args.locale;
  if (collate && row.datcollate && !sameLocale(collate, row.datcollate)) differs.push(`lc_collate ${row.datcollate} (wanted ${collate})`);
  const ctype = args.lc_ctype ?? args.locale;
  if (ctype && row.datctype && !sameLocale(ctype, row.datctype)) differs.push(`lc_ctype ${row.datctype} (wanted ${ctype})`);
  const provider = PROVIDERS[row.datlocprovider ?? 'c'] ?? row.datlocprovider;
  if (args.locale_provider && args.locale_provider !== provider) differs.push(`locale_provider ${provider} (wanted ${args.locale_provider})`);
  const icu = row.daticulocale ?? row.datlocale;
  if (args.icu_locale && icu !== args.icu_locale) differs.push(`icu_locale ${icu ?? 'none'} (wanted ${args.icu_locale})`);
  if (args.tablespace && args.tablespace !== row.tablespace) differs.push(`tablespace ${row.tablespace} (wanted ${args.tablespace})`);
  return differs.length
    ? [`database ${args.name} exists with ${differs.join(', ')}: these are set at creation only; use state recreate to change them`]
    : [];
}

/** CONNECT grants and revokes for revokeconn, from who may connect now (after an owner change, the new owner holds the old owner's grants). */
function connectStatements(args: Args, row: DatabaseRow | null, owner: string | undefined): Statement[] {
  if (args.revokeconn === undefined) return [];
  const db = quoteIdent(args.name);
  const connect = row
    ? row.connect.map((c) => (c.grantee === row.owner && owner ? { ...c, grantee: owner } : c))
    : [{ grantee: null }, ...(owner ? [{ grantee: owner }] : [])];
  const has = (grantee: string | null) => connect.some((c) => c.grantee === grantee);
  if (!args.revokeconn) return has(null) ? [] : [statement(`GRANT CONNECT ON DATABASE ${db} TO PUBLIC`)];
  const statements: Statement[] = [];
  if (has(null)) statements.push(statement(`REVOKE CONNECT ON DATABASE ${db} FROM PUBLIC`));
  // An owner holds grant options implicitly (its ACL entry never shows them).
  if (owner && !has(owner)) statements.push(statement(`GRANT CONNECT ON DATABASE ${db} TO ${quoteIdent(owner)} WITH GRANT OPTION`));
  for (const role of args.connect_roles ?? []) {
    if (role !== owner && !has(role)) statements.push(statement(`GRANT CONNECT ON DATABASE ${db} TO ${quoteIdent(role)}`));
  }
  return statements;
}

/** Statements converging the mutable attributes; row null means the database is being created by the statements before. */
function convergeStatements(args: Args, row: DatabaseRow | null): Statement[] {
  const db = quoteIdent(args.name);
  const statements: Statement[] = [];
  if (row && args.owner && args.owner !== row.owner) statements.push(statement(`ALTER DATABASE ${db} OWNER TO ${quoteIdent(args.owner)}`));
  if (row) {
    const options: string[] = [];
    if (args.is_template !== undefined && args.is_template !== row.datistemplate) options.push(`IS_TEMPLATE ${args.is_template}`);
    if (args.allowconn !== undefined && args.allowconn !== row.datallowconn) options.push(`ALLOW_CONNECTIONS ${args.allowconn}`);
    if (args.connlimit !== undefined && args.connlimit !== row.datconnlimit) options.push(`CONNECTION LIMIT ${args.connlimit}`);
    if (options.length) statements.push(statement(`ALTER DATABASE ${db} WITH ${options.join(' ')}`));
  }
  if (args.comment !== undefined && args.comment !== (row?.comment ?? '')) {
    statements.push(statement(`COMMENT ON DATABASE ${db} IS ${args.comment === '' ? 'NULL' : quoteLiteral(args.comment)}`));
  }
  statements.push(...settingStatements(`ALTER DATABASE ${db}`, row?.parameters ?? null, args.parameters));
  statements.push(...connectStatements(args, row, args.owner ?? row?.owner));
  return statements;
}

function dropStatements(args: Args, row: DatabaseRow, major: number): Statement[] {
  const db = quoteIdent(args.name);
  const statements: Statement[] = [];
  // A template database cannot be dropped until it is an ordinary one again.
  if (row.datistemplate) statements.push(statement(`ALTER DATABASE ${db} WITH IS_TEMPLATE false`));
  if (major >= 13) {
    statements.push(statement(`DROP DATABASE ${db} WITH (FORCE)`, { standalone: true }));
  } else {
    statements.push(
      statement(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(args.name)}`, { standalone: true }),
    );
    statements.push(statement(`DROP DATABASE ${db}`, { standalone: true }));
  }
  return statements;
}

/** Refuse a drop the arguments do not allow: any under the safeguard, a recreate of a database in use unless forced. */
function refuseDrop(args: Args, row: DatabaseRow): void {
  const what = args.state === 'recreate' ? 'recreated (dropped, its data lost, and created again)' : 'dropped';
  if (args.safeguard) throw new ModuleFailure(`pg_safeguard is on: database ${args.name} is not ${what}; override with -e pg_safeguard=false`);
  const sessions = row.sessions ?? 0;
  if (args.state === 'recreate' && sessions > 0 && !args.force) {
    throw new ModuleFailure(
      `database ${args.name} has ${sessions} connected session${sessions === 1 ? '' : 's'}: not recreated while in use; disconnect them, or force it (pgsql-db: -e dbforce=true terminates them)`,
    );
  }
}

/** The statements that bring a database to the arguments, and warnings for what cannot change. */
export function databaseStatements(args: Args, state: DatabaseState): { statements: Statement[]; warnings: string[] } {
  const major = majorVersion(state.version);
  const warnings: string[] = [];
  const row = state.db;
  const wanted = args.state ?? 'create';
  if (row && wanted !== 'create') refuseDrop(args, row);
  if (wanted === 'absent') return { statements: row ? dropStatements(args, row, major) : [], warnings };
  checkSupport(args, major, warnings);
  if (wanted === 'recreate' || !row) {
    const drop = wanted === 'recreate' && row ? dropStatements(args, row, major) : [];
    return { statements: [...drop, createStatement(args, major), ...convergeStatements(args, null)], warnings };
  }
  warnings.push(...immutableWarnings(args, row));
  return { statements: convergeStatements(args, row), warnings };
}

/**
 * A database (Pigsty's pg_databases entry): created when missing, else its owner, comment, template flag,
 * connection settings, parameters and CONNECT grants converge; creation-time attributes that differ are
 * warnings. absent drops it (disconnecting sessions); recreate drops and creates it, refused while sessions are
 * connected unless force. safeguard refuses both drops.
 */
export const pgDatabase = defineModule({
  name: 'pg_database',
  concurrentPlans: true,
  args: PgDatabaseArgs,
  async plan(ctx, args) {
    checkName(args.name, 'name');
    for (const [what, value] of [
      ['owner', args.owner],
      ['template', args.template],
      ['tablespace', args.tablespace],
    ] as const) {
      if (value !== undefined) checkName(value, what);
    }
    for (const role of args.connect_roles ?? []) checkName(role, 'connect_roles[]');
    const target = { db: 'postgres', port: args.port };
    const state = await queryJson<DatabaseState>(ctx, target, stateQuery(args.name), `reading database ${args.name}`);
    if (!state) throw new ModuleFailure('database postgres does not exist');
    const { statements, warnings } = databaseStatements(args, state);
    return statementPlan(ctx, target, `database ${args.name}`, statements, warnings);
  },
});
