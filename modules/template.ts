import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import Handlebars from 'handlebars';
import type { Vars } from '../engine/inventory-types.ts';
import { defineModule, ModuleFailure } from '../engine/module.ts';
import { attributeArgs, followOf, parseMode, planContent, roleAsset } from './file-state.ts';
import { helpers } from './template-helpers.ts';

export const TemplateArgs = Type.Object(
  {
    src: Type.String({ pattern: '^/', description: 'absolute path of the .hbs template on the controller (see templatePath)' }),
    dest: Type.String({ pattern: '^/', description: 'absolute path of the file to write' }),
    ...attributeArgs,
    backup: Type.Optional(Type.Boolean()),
    validate: Type.Optional(Type.String({ pattern: '%s' })),
    follow: Type.Optional(Type.Boolean({ description: 'write to the target of a symlink at dest (or on its path) instead of replacing the link' })),
    vars: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "variables added to (and overriding) the host's" })),
  },
  { additionalProperties: false },
);

/** The absolute path of roles/<role>/templates/<name>, for `src`, given the role module's import.meta.url. */
export const templatePath = (importMetaUrl: string, name: string): string => roleAsset(importMetaUrl, 'templates', name);

interface Location {
  start: { line: number; column: number };
}

/** A helper failure that knows where in the template it happened. */
class HelperFailure extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

const engine = Handlebars.create();
for (const [name, helper] of Object.entries(helpers)) {
  engine.registerHelper(name, (...raw: unknown[]) => {
    const options = raw.pop() as { hash?: Record<string, unknown>; loc?: Location };
    try {
      return helper(raw, options.hash ?? {});
    } catch (error) {
      throw new HelperFailure(`helper "${name}": ${(error as Error).message}`, options.loc?.start.line);
    }
  });
}

interface Compiled {
  render: Handlebars.TemplateDelegate;
  /** Lines holding a dotted path that reads each property, to place a failed lookup (Handlebars gives no line for those). */
  reads: Map<string, number[]>;
}

const cache = new Map<string, Compiled>();

/** Helpers whose arguments may be undefined: they exist to test for that (the first of default). */
const LENIENT: Record<string, number> = { if: 1, unless: 1, defined: 1, default: 1 };

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => value !== null && typeof value === 'object';

/**
 * Make every variable passed to a helper strict, as printed ones are: Handlebars' strict mode only checks
 * printed paths, so `{{join (list a b)}}` with `b` undefined would silently print "a,". Also note where each
 * dotted path reads each property, to place a lookup through an undefined value (Handlebars gives no line).
 */
function prepare(ast: hbs.AST.Program): Map<string, number[]> {
  const reads = new Map<string, number[]>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isNode(node)) return;
    if (node.type === 'PathExpression') {
      const path = node as unknown as hbs.AST.PathExpression;
      for (const part of path.parts.slice(1)) reads.set(part, [...(reads.get(part) ?? []), path.loc.start.line]);
    }
    const helper = isNode(node.path) && node.path.type === 'PathExpression' ? (node.path as unknown as hbs.AST.PathExpression).original : undefined;
    if (helper !== undefined && Array.isArray(node.params)) {
      const lenient = LENIENT[helper] ?? 0;
      const pairs = isNode(node.hash) && Array.isArray(node.hash.pairs) ? (node.hash.pairs as Node[]) : [];
      const args = [...node.params.slice(lenient), ...pairs.map((pair) => pair.value)];
      for (const arg of args) if (isNode(arg) && arg.type === 'PathExpression') arg.strict = true;
    }
    Object.values(node).forEach(walk);
  };
  walk(ast);
  return reads;
}

function compile(name: string, source: string): Compiled {
  let ast: hbs.AST.Program;
  try {
    ast = engine.parse(source);
  } catch (error) {
    throw syntaxError(name, error as Error & { lineNumber?: number });
  }
  const reads = prepare(ast);
  return { render: engine.compile(ast, { noEscape: true, strict: true }), reads };
}

/** A parse error as file:line, what was unexpected, and Handlebars' excerpt with its caret. */
function syntaxError(name: string, error: Error & { lineNumber?: number }): ModuleFailure {
  const parse = /^Parse error on line (\d+):\n(.*\n.*)\n.*got '([^']*)'/.exec(error.message);
  if (!parse) return new ModuleFailure(`${name}${error.lineNumber ? `:${error.lineNumber}` : ''}: template syntax error: ${error.message}`);
  const [, line, excerpt, got] = parse;
  return new ModuleFailure(`${name}:${line}: template syntax error: unexpected ${got === 'EOF' ? 'end of template' : got}\n${excerpt}`);
}

/** Map a Handlebars runtime error to file:line and what went wrong. */
function located(name: string, compiled: Compiled, error: unknown): ModuleFailure {
  if (error instanceof HelperFailure) return new ModuleFailure(`${name}${error.line ? `:${error.line}` : ''}: ${error.message}`);
  const e = error as Error & { lineNumber?: number };
  const strict = /^"([^"]+)" not defined in (.*) - \d+:\d+$/.exec(e.message);
  if (strict) {
    const [, variable, parent] = strict;
    const what = parent === 'undefined' || parent === 'null' ? `cannot read "${variable}" of an undefined value` : `"${variable}" is not defined`;
    return new ModuleFailure(`${name}:${e.lineNumber ?? '?'}: ${what}`);
  }
  const property = /Cannot read properties of (?:undefined|null) \(reading '([^']*)'\)/.exec(e.message)?.[1];
  if (property !== undefined) {
    const lines = [...new Set(compiled.reads.get(property) ?? [])];
    return new ModuleFailure(`${name}:${lines.join(',') || '?'}: cannot read "${property}" of an undefined value`);
  }
  return new ModuleFailure(`${name}: rendering failed: ${e.message}`);
}

/** Render template source with variables; errors name `name` and the line. */
export function renderString(source: string, vars: Vars, name = 'template'): string {
  return run(name, compile(name, source), vars);
}

function run(name: string, compiled: Compiled, vars: Vars): string {
  try {
    return compiled.render(vars);
  } catch (error) {
    throw located(name, compiled, error);
  }
}

/** Render a template file, compiling it once per process. */
export function renderTemplate(path: string, vars: Vars): string {
  let compiled = cache.get(path);
  if (!compiled) {
    let source: string;
    try {
      source = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ModuleFailure(`reading template ${path} failed: ${(error as Error).message}`);
    }
    compiled = compile(path, source);
    cache.set(path, compiled);
  }
  return run(path, compiled, vars);
}

/** Render a Handlebars template on the controller from the host's variables and write it like copy does. */
export const template = defineModule({
  name: 'template',
  concurrentPlans: true,
  args: TemplateArgs,
  plan: async (ctx, args) => {
    const { src, vars, follow, ...rest } = args;
    const content = renderTemplate(src, { ...ctx.vars, ...vars });
    // As Ansible's template: a symlink at dest is replaced by the file unless follow is set.
    return planContent(ctx, { ...rest, mode: parseMode(args.mode), follow: followOf(follow, 'never'), content });
  },
});
