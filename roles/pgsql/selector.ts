import { compile, TreeInterpreter, type JSONValue } from '@jmespath-community/jmespath';
import type { RoleVars } from '../vars.ts';

/**
 * Pigsty's service `selector` and `backup` are JMESPath expressions over the cluster's members (a list of host
 * variable maps), run by Ansible's json_query (Python's jmespath). They are evaluated here by
 * @jmespath-community/jmespath with its legacy literals on, so `primary` in backticks is the string "primary" as
 * Pigsty writes it. That library also knows the JMESPath Community additions (let, variables, arithmetic,
 * ternaries, more functions), which Ansible's JMESPath does not; they are refused, so an expression that runs here
 * runs in Pigsty too, and a typo such as `[? pg_role = `replica` ]` fails instead of parsing as a binding that
 * picks every member.
 */

type Ast = ReturnType<typeof compile>;

/** Node types of the JMESPath Community grammar that Ansible's JMESPath lacks, and what they are. */
const BEYOND_ANSIBLE: Record<string, string> = {
  Binding: 'an assignment (=)',
  LetExpression: 'a let expression',
  Variable: 'a $variable',
  Root: 'the root reference $',
  Arithmetic: 'arithmetic',
  Unary: 'arithmetic',
  Ternary: 'a ternary (? :)',
};

/** The functions of the JMESPath specification, the ones Ansible's json_query has. */
const FUNCTIONS = new Set(
  'abs avg ceil contains ends_with floor join keys length map max max_by merge min min_by not_null reverse sort sort_by starts_with sum to_array to_number to_string type values'.split(
    ' ',
  ),
);

/** Throw on anything in a compiled expression that Ansible's JMESPath would not run. */
function refuseBeyondAnsible(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(refuseBeyondAnsible);
  if (node === null || typeof node !== 'object') return;
  const { type, name } = node as { type?: unknown; name?: unknown };
  if (type === 'Literal') return;
  if (typeof type === 'string' && type in BEYOND_ANSIBLE) throw new Error(`${BEYOND_ANSIBLE[type]} is not JMESPath as Ansible's json_query reads it`);
  if (type === 'Function' && !FUNCTIONS.has(String(name))) throw new Error(`unknown function ${String(name)}()`);
  Object.values(node).forEach(refuseBeyondAnsible);
}

/** Evaluate a JMESPath expression on a value; a broken or unsupported expression throws naming it. */
export function jmesSearch(expression: string, data: unknown): unknown {
  let ast: Ast;
  try {
    ast = compile(expression, { enable_legacy_literals: true });
    refuseBeyondAnsible(ast);
  } catch (error) {
    throw new Error(`cannot read selector ${JSON.stringify(expression)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return TreeInterpreter.search(ast, data as JSONValue);
  } catch (error) {
    // Run-time errors: a function given the wrong type of argument.
    throw new Error(`cannot evaluate selector ${JSON.stringify(expression)}: ${(error as Error).message}`, { cause: error });
  }
}

/** What a service needs to know about one cluster member: its host variables (the selector sees all of them). */
export type Member = RoleVars['hostvars'][string] & { inventory_hostname: string; pg_cluster: string; pg_seq: number };

/** The cluster's members in inventory order, as Pigsty's `[@.*][0][?pg_cluster=='X']` query lists them. */
export function clusterMembers(hostvars: RoleVars['hostvars'], cluster: string): Member[] {
  return Object.entries(hostvars)
    .filter(([, vars]) => vars.pg_cluster === cluster && vars.pg_seq !== undefined)
    .map(([host, vars]) => ({ ...vars, inventory_hostname: host }) as Member);
}

/**
 * Members a selector (or backup) expression picks; an expression giving anything but a list picks none. Only the
 * members themselves count: a literal or a multiselect (`{inventory_hostname: ...}`) could make up a host whose
 * name carries a line of haproxy configuration.
 */
export function selectMembers(expression: string | undefined, members: Member[]): Member[] {
  if (expression === undefined || expression === '') return [];
  const picked = jmesSearch(expression, members);
  if (picked === null || picked === undefined) return [];
  const list: unknown[] = Array.isArray(picked) ? picked : [picked];
  return list.filter((m): m is Member => members.includes(m as Member));
}
