import { Type, type Static } from '@sinclair/typebox';
import { defineModule, ModuleFailure } from '../engine/module.ts';
import { Enum } from '../engine/schema.ts';
import { majorVersion, PgTargetArgs, queryJson, statement, statementPlan, type Statement } from './pg-client.ts';
import { checkName, quoteIdent, quoteLiteral } from './pg-quote.ts';

const PRIVILEGES = [
  'ALL',
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
  'MAINTAIN',
  'USAGE',
  'EXECUTE',
  'CREATE',
  'CONNECT',
  'TEMPORARY',
  'TEMP',
] as const;
type Privilege = (typeof PRIVILEGES)[number];
const DEFAULT_KINDS = ['TABLES', 'SEQUENCES', 'FUNCTIONS', 'ROUTINES', 'TYPES', 'SCHEMAS'] as const;
const OBJECT_KINDS = ['DATABASE', 'SCHEMA', 'TABLE', 'FUNCTION'] as const;
type Kind = (typeof DEFAULT_KINDS)[number] | (typeof OBJECT_KINDS)[number];

const common = {
  privileges: Type.Array(Enum(PRIVILEGES), { minItems: 1 }),
  /** A role, or PUBLIC. */
  to: Type.String({ minLength: 1 }),
  grant_option: Type.Optional(Type.Boolean()),
  /** revoke with grant_option revokes only the grant option. */
  state: Type.Optional(Enum(['grant', 'revoke'])),
};

const DefaultPrivilege = Type.Object(
  {
    /** The role whose future objects get these privileges. */
    for_role: Type.String({ minLength: 1 }),
    /** Only objects created in this schema (omit: everywhere; not for SCHEMAS). */
    schema: Type.Optional(Type.String({ minLength: 1 })),
    on: Enum(DEFAULT_KINDS),
    ...common,
  },
  { additionalProperties: false },
);
export type DefaultPrivilege = Static<typeof DefaultPrivilege>;

const ObjectGrant = Type.Object(
  {
    on: Enum(OBJECT_KINDS),
    /** Database or schema name; a table as [schema.]table; a function with its argument types, e.g. pg_catalog.pg_switch_wal(). */
    name: Type.String({ minLength: 1 }),
    ...common,
  },
  { additionalProperties: false },
);
type ObjectGrant = Static<typeof ObjectGrant>;

export const PgPrivilegesArgs = Type.Object(
  {
    /** ALTER DEFAULT PRIVILEGES rules (Pigsty's pg_default_privileges, see parseDefaultPrivilege). */
    default_privileges: Type.Optional(Type.Array(DefaultPrivilege)),
    /** GRANT/REVOKE on existing objects. */
    grants: Type.Optional(Type.Array(ObjectGrant)),
    ...PgTargetArgs,
  },
  { additionalProperties: false },
);

const ALL: Record<Kind, Privilege[]> = {
  TABLES: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'],
  SEQUENCES: ['USAGE', 'SELECT', 'UPDATE'],
  FUNCTIONS: ['EXECUTE'],
  ROUTINES: ['EXECUTE'],
  TYPES: ['USAGE'],
  SCHEMAS: ['USAGE', 'CREATE'],
  DATABASE: ['CREATE', 'CONNECT', 'TEMPORARY'],
  SCHEMA: ['USAGE', 'CREATE'],
  TABLE: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'],
  FUNCTION: ['EXECUTE'],
};
// pg_default_acl.defaclobjtype per kind.
const OBJTYPE: Record<(typeof DEFAULT_KINDS)[number], string> = {
  TABLES: 'r',
  SEQUENCES: 'S',
  FUNCTIONS: 'f',
  ROUTINES: 'f',
  TYPES: 'T',
  SCHEMAS: 'n',
};

/** Parse one of Pigsty's pg_default_privileges lines ("GRANT SELECT ON TABLES TO dbrole_readonly") for a role. */
export function parseDefaultPrivilege(rule: string, forRole: string, schema?: string): DefaultPrivilege {
  const m = /^\s*(GRANT|REVOKE)\s+(.+?)\s+ON\s+(\w+)\s+(?:TO|FROM)\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)(\s+WITH\s+GRANT\s+OPTION)?\s*;?\s*$/i.exec(
    rule,
  );
  const kind = m?.[3]?.toUpperCase() as (typeof DEFAULT_KINDS)[number] | undefined;
  const privileges =
    m?.[2]?.split(',').map((p) =>
      p
        .trim()
        .toUpperCase()
        .replace(/^ALL PRIVILEGES$/, 'ALL'),
    ) ?? [];
  if (!m || !kind || !DEFAULT_KINDS.includes(kind) || !privileges.every((p) => (PRIVILEGES as readonly string[]).includes(p))) {
    throw new Error(
      `cannot read default privilege ${JSON.stringify(rule)}: expected GRANT|REVOKE <privileges> ON <${DEFAULT_KINDS.join('|')}> TO|FROM <role>`,
    );
  }
  const grantee = m[4] as string;
  const to = grantee.startsWith('"') ? grantee.slice(1, -1).replace(/""/g, '"') : grantee.toLowerCase();
  const parsed: DefaultPrivilege = {
    for_role: forRole,
    on: kind,
    privileges: privileges as Privilege[],
    to,
    state: m[1]?.toUpperCase() === 'REVOKE' ? 'revoke' : 'grant',
  };
  if (schema !== undefined) parsed.schema = schema;
  if (m[5]) parsed.grant_option = true;
  return parsed;
}

/** One exploded ACL entry (grantee null: PUBLIC). */
interface AclEntry {
  grantee: string | null;
  privilege: string;
  grantable: boolean;
}

interface DefaultAclRow extends AclEntry {
  role: string;
  schema: string | null;
  type: string;
}

interface PrivilegeState {
  version: number;
  /** Rows of pg_default_acl for the roles asked about, exploded. */
  defaults: DefaultAclRow[];
  /** The built-in global defaults of (role, type) pairs that have no global pg_default_acl row. */
  builtin: DefaultAclRow[];
  /** Per grant, in order: the object's canonical name and ACL, or null when it does not exist. */
  objects: ({ name: string; acl: AclEntry[] } | null)[];
}

const isPublic = (role: string): boolean => role.toLowerCase() === 'public';
const grantee = (role: string): string => (isPublic(role) ? 'PUBLIC' : quoteIdent(role));

const explode = (acl: string) =>
  `(select coalesce(json_agg(json_build_object('grantee', case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end,
     'privilege', a.privilege_type, 'grantable', a.is_grantable)), '[]') from aclexplode(${acl}) a)`;

function objectQuery(grant: ObjectGrant): string {
  const name = quoteLiteral(grant.name);
  switch (grant.on) {
    case 'DATABASE':
      return `(select json_build_object('name', datname, 'acl', ${explode("coalesce(datacl, acldefault('d', datdba))")}) from pg_database where datname = ${name})`;
    case 'SCHEMA':
      return `(select json_build_object('name', nspname, 'acl', ${explode("coalesce(nspacl, acldefault('n', nspowner))")}) from pg_namespace where nspname = ${name})`;
    case 'TABLE':
      return `(select json_build_object('name', c.oid::regclass::text, 'acl', ${explode(`coalesce(c.relacl, acldefault(case when c.relkind = 'S' then 's' else 'r' end::"char", c.relowner))`)})
        from pg_class c where c.oid = to_regclass(${name}))`;
    case 'FUNCTION':
      return `(select json_build_object('name', p.oid::regprocedure::text, 'acl', ${explode("coalesce(p.proacl, acldefault('f', p.proowner))")})
        from pg_proc p where p.oid = to_regprocedure(${name}))`;
  }
}

function stateQuery(rules: DefaultPrivilege[], grants: ObjectGrant[]): string {
  const roles = `array[${[...new Set(rules.map((r) => quoteLiteral(r.for_role)))].join(', ') || 'null'}]::text[]`;
  const row = `'role', pg_get_userbyid(r.oid), 'grantee', case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end,
      'privilege', a.privilege_type, 'grantable', a.is_grantable`;
  return `select json_build_object(
  'version', current_setting('server_version_num')::int,
  'defaults', (select coalesce(json_agg(json_build_object(${row}, 'schema', n.nspname, 'type', d.defaclobjtype)), '[]')
    from pg_default_acl d join pg_roles r on r.oid = d.defaclrole left join pg_namespace n on n.oid = d.defaclnamespace
    cross join aclexplode(d.defaclacl) a where r.rolname = any(${roles})),
  'builtin', (select coalesce(json_agg(json_build_object(${row}, 'schema', null, 'type', t.objtype)), '[]')
    from pg_roles r cross join unnest(array['r', 'S', 'f', 'T', 'n']::"char"[]) t(objtype)
    cross join aclexplode(acldefault(case when t.objtype = 'S' then 's' else t.objtype end::"char", r.oid)) a
    where r.rolname = any(${roles}) and not exists (select 1 from pg_default_acl d
      where d.defaclrole = r.oid and d.defaclnamespace = 0 and d.defaclobjtype = t.objtype)),
  'objects', json_build_array(${grants.map(objectQuery).join(',\n    ')}))`;
}

/** The privileges a rule names, ALL expanded for the object kind and server version, TEMP spelled as ACLs spell it. */
function expand(kind: Kind, privileges: Privilege[], major: number): string[] {
  const all = ALL[kind].filter((p) => p !== 'MAINTAIN' || major >= 17);
  const named = privileges.flatMap((p) => (p === 'ALL' ? all : [p === 'TEMP' ? 'TEMPORARY' : p]));
  return [...new Set(named)];
}

/** Refuse privileges that do not apply to the kind of object, before anything is read. */
function checkPrivileges(kind: Kind, privileges: Privilege[], what: string): void {
  const wrong = privileges.filter((p) => p !== 'ALL' && !ALL[kind].includes(p === 'TEMP' ? 'TEMPORARY' : p));
  if (wrong.length) throw new ModuleFailure(`${what}: ${wrong.join(', ')} cannot be granted on ${kind} (valid: ALL, ${ALL[kind].join(', ')})`);
}

/** Which of the privileges need a GRANT (missing, or without the wanted grant option) or a REVOKE (held), given the ACL entries. */
function pending(rule: { to: string; state?: 'grant' | 'revoke'; grant_option?: boolean }, privileges: string[], acl: AclEntry[]): string[] {
  const who = isPublic(rule.to) ? null : rule.to;
  const held = (p: string) => acl.find((e) => e.grantee === who && e.privilege === p && (!rule.grant_option || e.grantable));
  return rule.state === 'revoke' ? privileges.filter((p) => held(p)) : privileges.filter((p) => !held(p));
}

/** GRANT or REVOKE text for privileges on a target ("ON TABLES", "ON SCHEMA x"). */
function grantText(rule: { to: string; state?: 'grant' | 'revoke'; grant_option?: boolean }, privileges: string[], on: string): string {
  if (rule.state === 'revoke')
    return `REVOKE ${rule.grant_option ? 'GRANT OPTION FOR ' : ''}${privileges.join(', ')} ON ${on} FROM ${grantee(rule.to)}`;
  return `GRANT ${privileges.join(', ')} ON ${on} TO ${grantee(rule.to)}${rule.grant_option ? ' WITH GRANT OPTION' : ''}`;
}

/** The statements that make default privileges and grants hold, from the state read. */
export function privilegeStatements(
  rules: DefaultPrivilege[],
  grants: ObjectGrant[],
  state: PrivilegeState,
  check: boolean,
): { statements: Statement[]; warnings: string[] } {
  const major = majorVersion(state.version);
  const statements: Statement[] = [];
  const warnings: string[] = [];
  for (const rule of rules) {
    const type = OBJTYPE[rule.on];
    const source =
      rule.schema === undefined && !state.defaults.some((d) => d.role === rule.for_role && d.schema === null && d.type === type)
        ? state.builtin
        : state.defaults;
    const acl = source.filter((d) => d.role === rule.for_role && d.schema === (rule.schema ?? null) && d.type === type);
    const todo = pending(rule, expand(rule.on, rule.privileges, major), acl);
    if (!todo.length) continue;
    const scope = `FOR ROLE ${quoteIdent(rule.for_role)}${rule.schema ? ` IN SCHEMA ${quoteIdent(rule.schema)}` : ''}`;
    statements.push(statement(`ALTER DEFAULT PRIVILEGES ${scope} ${grantText(rule, todo, rule.on)}`));
  }
  grants.forEach((grant, i) => {
    const object = state.objects[i] ?? null;
    if (!object) {
      const message = `${grant.on.toLowerCase()} ${grant.name} does not exist`;
      // An earlier task creates it in a real run; a dry run can only say what would be granted.
      if (!check) throw new ModuleFailure(message);
      warnings.push(`${message} (yet)`);
    }
    const todo = pending(grant, expand(grant.on, grant.privileges, major), object?.acl ?? []);
    if (!todo.length || (grant.state === 'revoke' && !object)) return;
    const name = object?.name ?? grant.name;
    const target = grant.on === 'DATABASE' || grant.on === 'SCHEMA' ? quoteIdent(name) : name;
    statements.push(statement(grantText(grant, todo, `${grant.on} ${target}`)));
  });
  return { statements, warnings };
}

/**
 * Default privileges (ALTER DEFAULT PRIVILEGES FOR ROLE ... [IN SCHEMA ...]) read from pg_default_acl, and
 * GRANT/REVOKE on databases, schemas, tables and functions read from their ACLs: only missing grants and
 * present revokes run. Other privileges are left alone.
 */
export const pgPrivileges = defineModule({
  name: 'pg_privileges',
  concurrentPlans: true,
  args: PgPrivilegesArgs,
  async plan(ctx, args) {
    const rules = args.default_privileges ?? [];
    const grants = args.grants ?? [];
    const target = { db: checkName(args.db ?? 'postgres', 'db'), port: args.port };
    for (const rule of rules) {
      const what = `default privileges for ${rule.for_role} on ${rule.on}`;
      checkName(rule.for_role, 'for_role');
      if (!isPublic(rule.to)) checkName(rule.to, 'to');
      if (rule.schema !== undefined) checkName(rule.schema, 'schema');
      if (rule.schema !== undefined && rule.on === 'SCHEMAS') throw new ModuleFailure(`${what}: SCHEMAS rules cannot be limited to a schema`);
      checkPrivileges(rule.on, rule.privileges, what);
    }
    for (const grant of grants) {
      if (!isPublic(grant.to)) checkName(grant.to, 'to');
      if (grant.on === 'DATABASE' || grant.on === 'SCHEMA') checkName(grant.name, 'name');
      checkPrivileges(grant.on, grant.privileges, `${grant.on} ${grant.name}`);
    }
    const what = `privileges in ${target.db}`;
    const state = (await queryJson<PrivilegeState>(ctx, target, stateQuery(rules, grants), `reading ${what}`)) ?? {
      version: 0,
      defaults: [],
      builtin: [],
      objects: grants.map(() => null),
    };
    const { statements, warnings } = privilegeStatements(rules, grants, state, ctx.check);
    return statementPlan(ctx, target, what, statements, warnings);
  },
});
