import { Type } from '@sinclair/typebox';
import { defineModule, ModuleFailure } from '../engine/module.ts';
import { Enum } from '../engine/schema.ts';
import { PgTargetArgs, queryJson, statement, statementPlan, type Statement } from './pg-client.ts';
import { checkName, quoteIdent, quoteLiteral } from './pg-quote.ts';

export const PgExtensionArgs = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    /** Schema to create it in, or move a relocatable extension to. */
    schema: Type.Optional(Type.String({ minLength: 1 })),
    /** A version to create or update to; latest means the package's default version. */
    version: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Number()])),
    /** create is Pigsty's word for present. */
    state: Type.Optional(Enum(['present', 'create', 'absent'])),
    /** Create the extensions it needs, or drop the objects that need it. */
    cascade: Type.Optional(Type.Boolean()),
    ...PgTargetArgs,
  },
  { additionalProperties: false },
);

interface ExtensionState {
  ext: { version: string; schema: string } | null;
  default_version: string | null;
  versions: string[];
}

/**
 * Every extension of the database, installed and available, whatever the task's extension: the same query for
 * every item of a loop, so the engine reads it once for all of them (a no-op pass over Pigsty's default extensions
 * in two databases is two psql calls, not sixty).
 */
const STATE_SQL = `with v as (select name, json_agg(version) as versions from pg_available_extension_versions group by name)
select json_build_object(
  'installed', (select coalesce(json_object_agg(e.extname, json_build_object('version', e.extversion, 'schema', n.nspname)), '{}')
                from pg_extension e join pg_namespace n on n.oid = e.extnamespace),
  'available', (select coalesce(json_object_agg(a.name, json_build_object('default_version', a.default_version, 'versions', coalesce(v.versions, '[]'))), '{}')
                from pg_available_extensions a left join v on v.name = a.name))`;

interface DatabaseExtensions {
  installed: Record<string, { version: string; schema: string }>;
  available: Record<string, { default_version: string | null; versions: string[] }>;
}

function stateOf(all: DatabaseExtensions | undefined, name: string): ExtensionState {
  const available = all?.available[name];
  return { ext: all?.installed[name] ?? null, default_version: available?.default_version ?? null, versions: available?.versions ?? [] };
}

/** An extension in a database: created, updated to a version (ALTER EXTENSION UPDATE TO), moved to a schema, or dropped. */
export const pgExtension = defineModule({
  name: 'pg_extension',
  concurrentPlans: true,
  args: PgExtensionArgs,
  async plan(ctx, args) {
    const target = { db: checkName(args.db ?? 'postgres', 'db'), port: args.port };
    const ext = quoteIdent(checkName(args.name, 'name'));
    if (args.schema !== undefined) checkName(args.schema, 'schema');
    const what = `extension ${args.name} in ${target.db}`;
    // undefined: in check mode, the database does not exist yet, so neither does the extension.
    const state = stateOf(await queryJson<DatabaseExtensions>(ctx, target, STATE_SQL, `reading the extensions of ${target.db}`), args.name);
    const cascade = args.cascade ? ' CASCADE' : '';
    const statements: Statement[] = [];
    const warnings: string[] = [];
    if (args.state === 'absent') {
      if (state.ext) statements.push(statement(`DROP EXTENSION ${ext}${cascade}`));
      return statementPlan(ctx, target, what, statements, warnings);
    }

    const asked = args.version === undefined ? undefined : String(args.version);
    const version = asked === 'latest' ? (state.default_version ?? undefined) : asked;
    // A package an earlier task installs is missing in a dry run: warn there, fail for real.
    const unavailable = (message: string) => {
      if (!ctx.check) throw new ModuleFailure(message);
      warnings.push(message);
    };
    if (!state.ext || (version && version !== state.ext.version)) {
      if (!state.default_version) unavailable(`${what}: ${args.name} is not available on this server (is its package installed?)`);
      else if (version && !state.versions.includes(version)) {
        unavailable(`${what}: version ${version} is not available; available: ${state.versions.join(', ')}`);
      }
    }
    if (!state.ext) {
      const schema = args.schema ? ` SCHEMA ${quoteIdent(args.schema)}` : '';
      const pinned = asked && asked !== 'latest' ? ` VERSION ${quoteLiteral(asked)}` : '';
      statements.push(statement(`CREATE EXTENSION ${ext}${schema}${pinned}${cascade}`));
    } else {
      if (version && version !== state.ext.version) statements.push(statement(`ALTER EXTENSION ${ext} UPDATE TO ${quoteLiteral(version)}`));
      if (args.schema && args.schema !== state.ext.schema) statements.push(statement(`ALTER EXTENSION ${ext} SET SCHEMA ${quoteIdent(args.schema)}`));
    }
    return statementPlan(ctx, target, what, statements, warnings);
  },
});
