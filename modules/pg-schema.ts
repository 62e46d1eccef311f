import { Type } from '@sinclair/typebox';
import { defineModule } from '../engine/module.ts';
import { Enum } from '../engine/schema.ts';
import { PgTargetArgs, queryJson, statement, statementPlan, type Statement } from './pg-client.ts';
import { checkName, quoteIdent, quoteLiteral } from './pg-quote.ts';

export const PgSchemaArgs = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    owner: Type.Optional(Type.String({ minLength: 1 })),
    state: Type.Optional(Enum(['create', 'absent'])),
    /** With state absent: drop the objects in the schema too. */
    cascade: Type.Optional(Type.Boolean()),
    ...PgTargetArgs,
  },
  { additionalProperties: false },
);

interface SchemaState {
  schema: { owner: string } | null;
}

/** A schema in a database: created (with its owner) or its owner converged, or dropped. */
export const pgSchema = defineModule({
  name: 'pg_schema',
  concurrentPlans: true,
  args: PgSchemaArgs,
  async plan(ctx, args) {
    const target = { db: checkName(args.db ?? 'postgres', 'db'), port: args.port };
    const schema = quoteIdent(checkName(args.name, 'name'));
    if (args.owner !== undefined) checkName(args.owner, 'owner');
    const sql = `select json_build_object('schema', (select json_build_object('owner', pg_get_userbyid(nspowner))
      from pg_namespace where nspname = ${quoteLiteral(args.name)}))`;
    // undefined: in check mode, the database does not exist yet, so neither does the schema.
    const state = (await queryJson<SchemaState>(ctx, target, sql, `reading schema ${args.name} in ${target.db}`)) ?? { schema: null };
    const statements: Statement[] = [];
    if (args.state === 'absent') {
      if (state.schema) statements.push(statement(`DROP SCHEMA ${schema}${args.cascade ? ' CASCADE' : ''}`));
    } else if (!state.schema) {
      statements.push(statement(`CREATE SCHEMA ${schema}${args.owner ? ` AUTHORIZATION ${quoteIdent(args.owner)}` : ''}`));
    } else if (args.owner && args.owner !== state.schema.owner) {
      statements.push(statement(`ALTER SCHEMA ${schema} OWNER TO ${quoteIdent(args.owner)}`));
    }
    return statementPlan(ctx, target, `schema ${args.name} in ${target.db}`, statements, []);
  },
});
