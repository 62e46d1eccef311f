import { Type, type Static } from '@sinclair/typebox';
import { defineModule, ModuleFailure } from '../engine/module.ts';
import { Enum } from '../engine/schema.ts';
import { majorVersion, PgTargetArgs, queryJson, settingStatements, SettingsArg, statement, statementPlan, type Statement } from './pg-client.ts';
import { checkName, isPasswordSecret, md5Secret, passwordMatches, quoteIdent, quoteLiteral, scramVerifier, secretKind } from './pg-quote.ts';

const Membership = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object(
    {
      name: Type.String({ minLength: 1 }),
      state: Type.Optional(Enum(['grant', 'revoke', 'absent'])),
      admin: Type.Optional(Type.Boolean()),
      /** PostgreSQL 16+: may SET ROLE to it. */
      set: Type.Optional(Type.Boolean()),
      /** PostgreSQL 16+: inherits its privileges. */
      inherit: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
]);

export const PgRoleArgs = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    state: Type.Optional(Enum(['create', 'absent'])),
    /** Plain text, or an md5/SCRAM secret stored as given. Compared with the stored secret, never shown. */
    password: Type.Optional(Type.String()),
    /** Format of a new secret (default scram-sha-256); when given, a stored secret of the other format is replaced. */
    password_encryption: Type.Optional(Enum(['scram-sha-256', 'md5'])),
    login: Type.Optional(Type.Boolean()),
    superuser: Type.Optional(Type.Boolean()),
    createdb: Type.Optional(Type.Boolean()),
    createrole: Type.Optional(Type.Boolean()),
    inherit: Type.Optional(Type.Boolean()),
    replication: Type.Optional(Type.Boolean()),
    bypassrls: Type.Optional(Type.Boolean()),
    connlimit: Type.Optional(Type.Integer({ minimum: -1 })),
    /** Days from today (the server's date); wins over expire_at. */
    expire_in: Type.Optional(Type.Integer({ minimum: 0 })),
    expire_at: Type.Optional(Type.String({ pattern: '^([0-9]{4}-[0-9]{2}-[0-9]{2}|infinity)$', description: 'a date YYYY-MM-DD or infinity' })),
    comment: Type.Optional(Type.String()),
    parameters: Type.Optional(SettingsArg),
    roles: Type.Optional(Type.Array(Membership)),
    port: PgTargetArgs.port,
  },
  { additionalProperties: false },
);
type Args = Static<typeof PgRoleArgs>;

/** One row of pg_auth_members (PostgreSQL 16 adds inherit_option and set_option) with the granted role's name. */
export interface MemberRow {
  role: string;
  admin_option: boolean;
  inherit_option?: boolean;
  set_option?: boolean;
}

export interface RoleRow {
  superuser: boolean;
  inherit: boolean;
  createrole: boolean;
  createdb: boolean;
  login: boolean;
  replication: boolean;
  bypassrls: boolean;
  connlimit: number;
  password: string | null;
  validuntil: string | null;
  comment: string | null;
  parameters: string[] | null;
  memberships: MemberRow[];
}

export interface RoleState {
  version: number;
  today: string;
  role: RoleRow | null;
}

/**
 * Every role with its secret, settings and memberships, the server version and date, whatever the task's role:
 * the same query for every item of a loop, so the engine reads it once for all of them (Pigsty's default roles
 * and users are one psql call per host, not one per role). Secrets stay in memory, compared locally.
 */
const STATE_SQL = `select json_build_object(
  'version', current_setting('server_version_num')::int,
  'today', current_date,
  'roles', (select coalesce(json_object_agg(a.rolname, json_build_object(
    'superuser', a.rolsuper, 'inherit', a.rolinherit, 'createrole', a.rolcreaterole, 'createdb', a.rolcreatedb,
    'login', a.rolcanlogin, 'replication', a.rolreplication, 'bypassrls', a.rolbypassrls, 'connlimit', a.rolconnlimit,
    'password', a.rolpassword,
    'validuntil', case when a.rolvaliduntil is null then null when a.rolvaliduntil = 'infinity' then 'infinity'
                  else to_char(a.rolvaliduntil, 'YYYY-MM-DD HH24:MI:SS') end,
    'comment', shobj_description(a.oid, 'pg_authid'),
    'parameters', (select s.setconfig from pg_db_role_setting s where s.setrole = a.oid and s.setdatabase = 0),
    'memberships', (select coalesce(json_agg(to_jsonb(m) || jsonb_build_object('role', g.rolname)), '[]')
                    from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = a.oid))), '{}')
    from pg_authid a))`;

interface ServerRoles {
  version: number;
  today: string;
  roles: Record<string, RoleRow>;
}

const ATTRIBUTES = [
  ['login', 'LOGIN'],
  ['superuser', 'SUPERUSER'],
  ['createdb', 'CREATEDB'],
  ['createrole', 'CREATEROLE'],
  ['inherit', 'INHERIT'],
  ['replication', 'REPLICATION'],
  ['bypassrls', 'BYPASSRLS'],
] as const;

/** The VALID UNTIL value wanted, in the form the state query reads it back. */
function wantedExpiry(args: Args, today: string): string | undefined {
  if (args.expire_in !== undefined) {
    const date = new Date(`${today}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + args.expire_in);
    return `${date.toISOString().slice(0, 10)} 00:00:00`;
  }
  if (args.expire_at === undefined) return undefined;
  return args.expire_at === 'infinity' ? 'infinity' : `${args.expire_at} 00:00:00`;
}

/** Role attribute clauses (LOGIN, CONNECTION LIMIT, VALID UNTIL) that differ from the current row, or all given ones for a new role. */
function attributeClauses(args: Args, current: RoleRow | null, expiry: string | undefined): string[] {
  const clauses: string[] = [];
  for (const [key, keyword] of ATTRIBUTES) {
    // A new role logs in unless told otherwise: Pigsty creates pg_users with CREATE USER.
    const wanted = args[key] ?? (key === 'login' && !current ? true : undefined);
    if (wanted !== undefined && wanted !== current?.[key]) clauses.push(wanted ? keyword : `NO${keyword}`);
  }
  if (args.connlimit !== undefined && args.connlimit !== (current?.connlimit ?? -1)) clauses.push(`CONNECTION LIMIT ${args.connlimit}`);
  if (expiry !== undefined && expiry !== current?.validuntil) clauses.push(`VALID UNTIL ${quoteLiteral(expiry)}`);
  return clauses;
}

/** A PASSWORD clause: what is sent, what is shown, and the secret value inside it. */
interface PasswordClause {
  sql: string;
  shown: string;
  secret: string;
}

/** The PASSWORD clause to send, or undefined when the stored secret already matches. */
function passwordClause(args: Args, current: RoleRow | null): PasswordClause | undefined {
  const password = args.password;
  if (password === undefined) return undefined;
  const stored = current?.password ?? null;
  const kindOk = args.password_encryption === undefined || isPasswordSecret(password) || secretKind(stored) === args.password_encryption;
  if (current && kindOk && passwordMatches(password, args.name, stored)) return undefined;
  const clause = (secret: string): PasswordClause => ({ sql: `PASSWORD ${quoteLiteral(secret)}`, shown: `PASSWORD '********'`, secret });
  if (isPasswordSecret(password)) return clause(password);
  if (args.password_encryption === 'md5') return clause(md5Secret(password, args.name));
  // Hashed here so the plain text never reaches the server; non-ASCII needs the server's exact SASLprep, so it goes as is.
  return clause([...password].every((c) => (c.codePointAt(0) ?? 0) < 0x80) ? scramVerifier(password) : password);
}

/** A statement carrying a password; a plain-text one is hashed as SCRAM whatever the server's password_encryption says. */
function withPassword(head: string, password: PasswordClause): Statement {
  const prelude = isPasswordSecret(password.secret) ? '' : "SET LOCAL password_encryption = 'scram-sha-256';\n";
  return { sql: `${prelude}${head} ${password.sql}`, shown: `${head} ${password.shown}`, secret: password.secret };
}

interface WantedMembership {
  name: string;
  state: 'grant' | 'revoke' | 'absent';
  admin?: boolean;
  set?: boolean;
  inherit?: boolean;
}

/** GRANT/REVOKE statements for the listed memberships; options the server lacks are skipped with a warning. */
function membershipStatements(args: Args, current: RoleRow | null, major: number, warnings: string[]): Statement[] {
  const role = quoteIdent(args.name);
  const statements: Statement[] = [];
  for (const item of args.roles ?? []) {
    const m: WantedMembership = typeof item === 'string' ? { name: item, state: 'grant' } : { ...item, state: item.state ?? 'grant' };
    const group = quoteIdent(checkName(m.name, 'roles[].name'));
    const rows = current?.memberships.filter((r) => r.role === m.name) ?? [];
    if (m.state !== 'grant') {
      if (rows.length) statements.push(statement(`REVOKE ${group} FROM ${role}`));
      continue;
    }
    const options: ['admin' | 'inherit' | 'set', boolean][] = [];
    for (const option of ['admin', 'inherit', 'set'] as const) {
      const wanted = m[option];
      if (wanted === undefined) continue;
      if (option !== 'admin' && major < 16) {
        warnings.push(`membership of ${args.name} in ${m.name}: PostgreSQL ${major} has no ${option.toUpperCase()} option (PostgreSQL 16+), ignored`);
      } else {
        options.push([option, wanted]);
      }
    }
    if (!rows.length) {
      // ADMIN is off by default, and PostgreSQL 15 knows only WITH ADMIN OPTION.
      const clauses = options.filter(([o, on]) => on || o !== 'admin').map(([o, on]) => `${o.toUpperCase()} ${on ? 'OPTION' : 'FALSE'}`);
      statements.push(statement(`GRANT ${group} TO ${role}${clauses.length ? ` WITH ${clauses.join(', ')}` : ''}`));
      continue;
    }
    const changed = options.filter(([o, on]) => on !== rows.some((r) => r[`${o}_option`] === true));
    const on = changed.filter(([, v]) => v).map(([o]) => `${o.toUpperCase()} OPTION`);
    if (on.length) statements.push(statement(`GRANT ${group} TO ${role} WITH ${on.join(', ')}`));
    for (const [o] of changed.filter(([, v]) => !v)) statements.push(statement(`REVOKE ${o.toUpperCase()} OPTION FOR ${group} FROM ${role}`));
  }
  return statements;
}

/** The statements that bring a role to the arguments, from its current state. */
export function roleStatements(args: Args, state: RoleState, warnings: string[]): Statement[] {
  const role = quoteIdent(args.name);
  const current = state.role;
  if (args.state === 'absent') return current ? [statement(`DROP ROLE ${role}`)] : [];

  const statements: Statement[] = [];
  const clauses = attributeClauses(args, current, wantedExpiry(args, state.today));
  const password = passwordClause(args, current);
  if (!current || clauses.length) {
    const head = [`${current ? 'ALTER' : 'CREATE'} ROLE ${role}`, ...clauses].join(' ');
    statements.push(!current && password ? withPassword(head, password) : statement(head));
  }
  if (current && password) statements.push(withPassword(`ALTER ROLE ${role}`, password));
  if (args.comment !== undefined && args.comment !== (current?.comment ?? '')) {
    statements.push(statement(`COMMENT ON ROLE ${role} IS ${args.comment === '' ? 'NULL' : quoteLiteral(args.comment)}`));
  }
  statements.push(...settingStatements(`ALTER ROLE ${role}`, current?.parameters ?? null, args.parameters));
  statements.push(...membershipStatements(args, current, majorVersion(state.version), warnings));
  return statements;
}

/**
 * A PostgreSQL role (Pigsty's pg_users entry): created or converged to the given attributes, password,
 * comment, settings and memberships, or dropped. Attributes not given are left alone; a new role logs in
 * unless login is false. An equal password is never set again; a new one is sent as a SCRAM verifier.
 */
export const pgRole = defineModule({
  name: 'pg_role',
  concurrentPlans: true,
  args: PgRoleArgs,
  async plan(ctx, args) {
    checkName(args.name, 'name');
    for (const item of args.roles ?? []) checkName(typeof item === 'string' ? item : item.name, 'roles[].name');
    const target = { db: 'postgres', port: args.port };
    const all = await queryJson<ServerRoles>(ctx, target, STATE_SQL, 'reading the roles', { secret: true });
    if (!all) throw new ModuleFailure('database postgres does not exist');
    const state: RoleState = { version: all.version, today: all.today, role: all.roles[args.name] ?? null };
    const warnings: string[] = [];
    const statements = roleStatements(args, state, warnings);
    return statementPlan(ctx, target, `role ${args.name}`, statements, warnings);
  },
});
