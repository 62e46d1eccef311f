import { isDeepStrictEqual } from 'node:util';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { Advisory, EngineError, type ErrorContext } from './errors.ts';
import { isSecretName } from './output/mask.ts';
import type { Inventory, Location, VarOrigin, Vars } from './inventory-types.ts';
import { NOT_IMPLEMENTED } from './schema.ts';
import { inventoryVars } from './vars.ts';
import { formatPath, type YamlPath } from './yaml.ts';

/** What a semantic check sees: every host's effective inventory vars, where each came from, and which hosts are in scope. */
export interface CheckContext {
  inv: Inventory;
  /** Every inventory host, not only the selected ones: cluster membership is inventory-wide. */
  hostVars: Map<string, Vars>;
  origins: Map<string, Map<string, VarOrigin>>;
  /** Hosts being validated; a check reports problems that touch at least one of them. */
  selected: ReadonlySet<string>;
  /** The run's -e variables: they replace the inventory's value of each name they set, on every host. */
  extraVars: Vars;
}

/** A rule no schema expresses; returns located errors (an Advisory is a warning unless the run is strict). */
export type SemanticCheck = (ctx: CheckContext) => EngineError[];

export interface ValidateOptions {
  schema: TSchema;
  checks?: SemanticCheck[];
  /** Validate only these hosts (default: all). */
  hosts?: string[];
  /** The run's -e variables, checked against the schema on their own (they override every inventory layer). */
  extraVars?: Vars;
}

export interface ValidationResult {
  errors: EngineError[];
  warnings: EngineError[];
  /** The checks' advisories: warnings that a strict run refuses. */
  advisories: EngineError[];
}

function locateNearest(inv: Inventory, path: YamlPath): Location | undefined {
  for (let n = path.length; n > 0; n--) {
    const loc = inv.locate(path.slice(0, n));
    if (loc) return loc;
  }
  return undefined;
}

function placeContext(inv: Inventory, host: string, path: YamlPath): ErrorContext {
  const loc = locateNearest(inv, path);
  return { file: loc?.file ?? inv.file, line: loc?.line, column: loc?.column, host, path: formatPath(path) };
}

/** Error context for a host variable (or a place inside it) at the YAML that set it; the host's own entry when the variable is unset. */
export function varContext(ctx: Pick<CheckContext, 'inv' | 'origins'>, host: string, name: string, inner: YamlPath = []): ErrorContext {
  const origin = ctx.origins.get(host)?.get(name);
  const hostPath = ctx.inv.hosts.get(host)?.paths[0] ?? ['all'];
  return placeContext(ctx.inv, host, origin ? [...origin.path, ...inner] : hostPath);
}

//------------------------------------------------------------------ schema errors

const validators = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    // verbose keeps the failing sub-schema on each error, which is where "expected ..." text comes from. The schema
    // is TypeBox's: no check against the meta-schema, and no optimizing pass, which costs more than it saves once.
    const ajv = new Ajv({ allErrors: true, verbose: true, validateSchema: false, code: { optimize: false } });
    ajv.addKeyword({ keyword: NOT_IMPLEMENTED, schemaType: 'string' });
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

type Schema = Record<string, unknown>;

function asSchema(s: unknown): Schema {
  return typeof s === 'object' && s !== null ? (s as Schema) : {};
}

function range(noun: string, s: Schema): string {
  const min = typeof s.minimum === 'number' ? s.minimum : undefined;
  const max = typeof s.maximum === 'number' ? s.maximum : undefined;
  if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
  if (min !== undefined) return `${noun} >= ${min}`;
  if (max !== undefined) return `${noun} <= ${max}`;
  return noun;
}

/** A schema as the phrase that completes "expected ...". */
function expectation(schema: unknown): string {
  const s = asSchema(schema);
  if (typeof s.description === 'string') return s.description;
  if (Array.isArray(s.enum)) return `one of ${s.enum.map(String).join(', ')}`;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) return s.anyOf.map(expectation).join(' or ');
  switch (s.type) {
    case 'integer':
      return range('an integer', s);
    case 'number':
      return range('a number', s);
    case 'boolean':
      return 'true or false';
    case 'array':
      return typeof s.minItems === 'number' && s.minItems === s.maxItems ? `a list of ${s.minItems} items` : 'a list';
    case 'object':
      return Array.isArray(s.required) && s.required.length > 0 ? `a mapping with ${s.required.map(String).join(', ')}` : 'a mapping';
    case 'string':
      if (typeof s.pattern === 'string') return `a string matching /${s.pattern}/`;
      return typeof s.minLength === 'number' && s.minLength > 0 ? 'a non-empty string' : 'a string';
    default:
      return 'a valid value';
  }
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

// Failures that only say "this value is not right", which the union's own error says better by listing every form.
const VALUE_KEYWORDS = new Set([
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'multipleOf',
  'format',
]);

/**
 * With allErrors, a failed anyOf also reports every branch's failures. Keep only what helps: when exactly one
 * branch accepts the value's type and it says more than "wrong value" (a missing field, a bad nested value),
 * that branch's failures; otherwise the anyOf error alone.
 */
function pruneUnionErrors(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const u of unions) {
    if (dropped.has(u)) continue;
    const inside = errors.filter((e) => e.schemaPath.startsWith(`${u.schemaPath}/`));
    const branches = new Map<string, ErrorObject[]>();
    for (const e of inside) {
      const branch = e.schemaPath.slice(u.schemaPath.length + 1).split('/')[0] ?? '';
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    const typeFits = [...branches.values()].filter((errs) => !errs.some((e) => e.keyword === 'type' && e.instancePath === u.instancePath));
    const only = typeFits.length === 1 ? typeFits[0] : undefined;
    const keep = only?.some((e) => e.instancePath !== u.instancePath || !VALUE_KEYWORDS.has(e.keyword)) ? only : [];
    for (const e of inside) if (!keep.includes(e)) dropped.add(e);
    if (keep.length > 0) dropped.add(u);
  }
  return errors.filter((e) => !dropped.has(e));
}

function decodePointer(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Pointer segments under the variable, with list positions as numbers (walking the value tells which is which). */
function innerPath(value: unknown, segments: string[]): YamlPath {
  const out: YamlPath = [];
  let cur = value;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

/** `secret` when the value sits under a secret name: it is described by its kind, never shown. */
function describeAjvError(e: ErrorObject, secret: boolean): { message: string; expected: string } {
  const parent = asSchema(e.parentSchema);
  switch (e.keyword) {
    case 'required': {
      const missing = String((e.params as { missingProperty?: unknown }).missingProperty);
      return { message: `missing required field "${missing}"`, expected: expectation(parent) };
    }
    case 'minItems':
    case 'maxItems':
    case 'additionalItems': {
      const n = Array.isArray(e.data) ? e.data.length : 0;
      return { message: `has ${n} item${n === 1 ? '' : 's'}`, expected: expectation(parent) };
    }
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty?: unknown }).additionalProperty);
      return { message: `unexpected field ${JSON.stringify(extra)}`, expected: expectation(parent) };
    }
    default: {
      // Inventories written for Ansible sometimes compute a value with Jinja; here inventory values are data.
      const template = typeof e.data === 'string' && e.data.includes('{{') ? ' (a Jinja template: inventory values are not templated)' : '';
      if (secret) return { message: `invalid value (${kindOf(e.data)}; a secret is not shown)`, expected: expectation(parent) };
      return { message: `invalid value ${shown(e.data)}${template}`, expected: expectation(parent) };
    }
  }
}

function schemaErrors(inv: Inventory, host: string, vars: Vars, origins: Map<string, VarOrigin>, schema: TSchema): EngineError[] {
  const validate = validatorFor(schema);
  if (validate(vars)) return [];
  return pruneUnionErrors(validate.errors ?? []).map((e) => {
    const [name, ...rest] = decodePointer(e.instancePath);
    const origin = name === undefined ? undefined : origins.get(name);
    const path = origin ? [...origin.path, ...innerPath(vars[name ?? ''], rest)] : (inv.hosts.get(host)?.paths[0] ?? ['all']);
    const { message, expected } = describeAjvError(
      e,
      [name, ...rest].some((seg) => seg !== undefined && isSecretName(seg)),
    );
    return new EngineError(message, placeContext(inv, host, path), expected);
  });
}

/**
 * -e values the schema refuses, each placed at "-e name" (an -e value has no file or line). Only errors inside a
 * value count: -e sets a few variables, so the fields it leaves to the inventory are not missing.
 */
function extraVarErrors(extraVars: Vars, schema: TSchema): EngineError[] {
  const validate = validatorFor(schema);
  if (validate(extraVars)) return [];
  const inside = (validate.errors ?? []).filter((e) => e.instancePath !== '');
  return pruneUnionErrors(inside).map((e) => {
    const path = decodePointer(e.instancePath);
    const { message, expected } = describeAjvError(
      e,
      path.some((seg) => isSecretName(seg)),
    );
    return new EngineError(message, { path: `-e ${formatPath(path)}` }, expected);
  });
}

//------------------------------------------------------------------ unknown names

/** Optimal string alignment distance: edits, with a swap of neighbours counting as one. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

const firstWord = (name: string): string | undefined => /^[a-z0-9]+_/.exec(name)?.[0];

/**
 * Which unknown top-level names deserve a warning. Inventories legitimately carry names no schema knows
 * (connection settings, data for other tools, other modules' parameters), so a name is flagged only when
 *  - its first word (up to the first `_`) is the first word of at least two schema names, i.e. it sits in the
 *    namespace of a module the schema covers (pg_, node_, etcd_, minio_, ...), or
 *  - it is one edit (or one swap of neighbours) away from a schema name, i.e. a typo of a covered name.
 * ansible_* names are never flagged. The nearest schema name is suggested when it is close: one edit for
 * names shorter than 8 characters, two otherwise.
 */
function unknownNameRule(known: string[]): (name: string) => { warn: boolean; suggestion?: string } {
  const knownSet = new Set(known);
  const prefixCount = new Map<string, number>();
  for (const k of known) {
    const w = firstWord(k);
    if (w) prefixCount.set(w, (prefixCount.get(w) ?? 0) + 1);
  }
  const memo = new Map<string, { warn: boolean; suggestion?: string }>();
  return (name) => {
    if (knownSet.has(name) || name.startsWith('ansible_')) return { warn: false };
    const cached = memo.get(name);
    if (cached) return cached;
    let nearest: string | undefined;
    let best = Infinity;
    for (const k of known) {
      const dist = editDistance(name, k);
      if (dist < best) [nearest, best] = [k, dist];
    }
    const w = firstWord(name);
    const inModule = w !== undefined && (prefixCount.get(w) ?? 0) >= 2;
    const suggestion = best <= (name.length < 8 ? 1 : 2) ? nearest : undefined;
    const verdict = { warn: inModule || best <= 1, suggestion };
    memo.set(name, verdict);
    return verdict;
  };
}

//------------------------------------------------------------------ parameters no role reads yet

/**
 * One warning per top-level parameter the schema marks `notImplemented` (see schema.ts) that a selected host's
 * inventory vars or -e set to something other than the schema's `default`: the setting has no effect. It names the
 * role that will read it and every place that set it (file:line, "-e"), never the value, which may be a secret.
 */
function notImplementedWarnings(ctx: CheckContext, schema: TSchema): EngineError[] {
  const warnings: EngineError[] = [];
  for (const [name, raw] of Object.entries(asSchema(asSchema(schema).properties))) {
    const s = asSchema(raw);
    const role = s[NOT_IMPLEMENTED];
    if (typeof role !== 'string') continue;
    const inert = (vars: Vars) => Object.hasOwn(vars, name) && !('default' in s && isDeepStrictEqual(vars[name], s.default));
    const places = new Map<string, ErrorContext>();
    for (const host of ctx.selected) {
      if (!inert(ctx.hostVars.get(host) ?? {})) continue;
      const { host: _host, ...place } = varContext(ctx, host, name);
      places.set(JSON.stringify([place.file, place.line, place.column, place.path]), place);
    }
    if (inert(ctx.extraVars)) places.set('-e', { path: '-e' });
    const [first, ...others] = [...places.values()];
    if (!first) continue;
    const also = others.map((c) => (c.path === '-e' ? '-e' : `${c.file}:${c.line ?? '?'}${c.column ? `:${c.column}` : ''}`));
    const message = `${name} is not implemented yet (the ${role} role will read it): setting it has no effect${also.length ? `; also set at ${also.join(', ')}` : ''}`;
    warnings.push(new EngineError(message, first));
  }
  return warnings;
}

//------------------------------------------------------------------ putting it together

/** Report each distinct problem once; a group var seen by many hosts says how many. */
function dedupe(errors: EngineError[]): EngineError[] {
  const seen = new Map<string, { first: EngineError; hosts: Set<string> }>();
  for (const e of errors) {
    const c = e.context;
    const key = JSON.stringify([c.file, c.line, c.column, c.path, e.message, e.expected]);
    const entry = seen.get(key) ?? { first: e, hosts: new Set<string>() };
    if (c.host) entry.hosts.add(c.host);
    seen.set(key, entry);
  }
  const out = [...seen.values()].map(({ first, hosts }) =>
    hosts.size > 1 ? new EngineError(`${first.message} (affects ${hosts.size} hosts)`, first.context, first.expected) : first,
  );
  return out.sort(
    (a, b) =>
      (a.context.file ?? '').localeCompare(b.context.file ?? '') ||
      (a.context.line ?? 0) - (b.context.line ?? 0) ||
      (a.context.column ?? 0) - (b.context.column ?? 0) ||
      a.message.localeCompare(b.message),
  );
}

/** Check every selected host's effective inventory vars against a schema and semantic checks; errors and warnings name the YAML place at fault. */
export function validateInventory(inv: Inventory, opts: ValidateOptions): ValidationResult {
  const hostVars = new Map<string, Vars>();
  const origins = new Map<string, Map<string, VarOrigin>>();
  for (const host of inv.hosts.keys()) {
    const r = inventoryVars(inv, host);
    hostVars.set(host, r.vars);
    origins.set(host, r.origins);
  }
  const selected = new Set(opts.hosts ? opts.hosts.filter((h) => inv.hosts.has(h)) : inv.hosts.keys());

  const errors: EngineError[] = [];
  const warnings: EngineError[] = [];
  const props = asSchema(opts.schema).properties;
  const rule = unknownNameRule(Object.keys(asSchema(props)));
  for (const host of selected) {
    const vars = hostVars.get(host) ?? {};
    const from = origins.get(host) ?? new Map<string, VarOrigin>();
    errors.push(...schemaErrors(inv, host, vars, from, opts.schema));
    for (const name of Object.keys(vars)) {
      const { warn, suggestion } = rule(name);
      if (!warn) continue;
      const hint = suggestion ? `; did you mean ${suggestion}?` : '';
      warnings.push(new EngineError(`unknown parameter "${name}"${hint}`, varContext({ inv, origins }, host, name)));
    }
  }
  errors.push(...extraVarErrors(opts.extraVars ?? {}, opts.schema));
  const ctx: CheckContext = { inv, hostVars, origins, selected, extraVars: opts.extraVars ?? {} };
  warnings.push(...notImplementedWarnings(ctx, opts.schema));
  const advisories: EngineError[] = [];
  for (const check of opts.checks ?? []) for (const e of check(ctx)) (e instanceof Advisory ? advisories : errors).push(e);
  return { errors: dedupe(errors), warnings: dedupe(warnings), advisories: dedupe(advisories) };
}
