/**
 * Variable precedence, lowest first. These are Ansible's levels, keeping the ones this engine has:
 *  1. role defaults (a role's defaults)
 *  2. inventory, itself layered (see inventoryVars): all.vars < group vars < host vars
 *  3. play vars
 *  4. role vars (a role's vars)
 *  5. facts set while running: set_fact and registered results
 *  6. extra vars (-e), which always win
 * Every layer replaces whole top-level keys; nested mappings are never merged, as with Ansible's
 * default hash_behaviour=replace.
 */
import { resolve } from 'node:path';
import { EngineError } from './errors.ts';
import { ancestorsOf, depthOf } from './inventory.ts';
import type { HostEntry, Inventory, VarOrigin, Vars } from './inventory-types.ts';
import { loadYaml, parseYaml, type YamlFile, type YamlPath } from './yaml.ts';

const EXTRA_VARS_FORMS = 'key=value pairs, @file.yml, or a YAML/JSON mapping such as {"a": 1}';

/** Later layers win on top-level keys. */
export function mergeLayers(...layers: Vars[]): Vars {
  return Object.assign({}, ...layers);
}

/**
 * A host's inventory variables: all.vars, then every group the host is in (directly or through a
 * parent) ordered by depth in the group tree and then by name, then the host's own vars.
 */
export function inventoryVars(inv: Inventory, host: string): { vars: Vars; origins: Map<string, VarOrigin> } {
  const entry = hostEntry(inv, host);
  const vars: Vars = {};
  const origins = new Map<string, VarOrigin>();
  const depth = new Map([...groupsOf(inv, entry)].map((g) => [g, depthOf(inv, g)]));
  const ordered = [...depth.keys()].sort((a, b) => (depth.get(a) as number) - (depth.get(b) as number) || byCodePoint(a, b));
  for (const name of ordered) {
    const group = inv.groups.get(name);
    if (!group) continue;
    for (const [key, value] of Object.entries(group.vars)) {
      vars[key] = value;
      origins.set(key, { layer: `group:${name}`, path: definedAt(inv, group.paths ?? [group.path], ['vars', key]) });
    }
  }
  for (const [key, value] of Object.entries(entry.vars)) {
    vars[key] = value;
    origins.set(key, { layer: 'host', path: definedAt(inv, entry.paths, [key]) });
  }
  return { vars, origins };
}

/** Ansible's `group_names`: every group the host is in, directly or through a parent, except `all`, sorted. */
export function groupNamesOf(inv: Inventory, host: string): string[] {
  return [...groupsOf(inv, hostEntry(inv, host))].filter((g) => g !== 'all').sort(byCodePoint);
}

/** Ansible's `-e` arguments merged in order: key=value pairs (unquoted booleans and numbers typed), @file (YAML or JSON), or an inline mapping. */
export function parseExtraVars(args: string[], cwd: string): Vars {
  return parseExtraVarsWithText(args, cwd).vars;
}

/**
 * parseExtraVars, and the text each variable had where the last -e to set it was a key=value pair: `pw=007` is typed
 * as the number 7, and a parameter the schema declares a string must get "007" back (coerceExtraVars).
 */
export function parseExtraVarsWithText(args: string[], cwd: string): { vars: Vars; text: Record<string, string> } {
  const vars: Vars = {};
  const text: Record<string, string> = {};
  for (const [i, arg] of args.entries()) {
    if (arg === '') continue;
    const pairs = isKeyValues(arg) ? keyValueTexts(arg, `extra vars #${i + 1}`) : undefined;
    const layer = extraVarsOf(arg, i + 1, cwd);
    for (const key of Object.keys(layer)) {
      const raw = pairs?.get(key);
      if (raw === undefined) delete text[key];
      else text[key] = unquote(raw);
    }
    Object.assign(vars, layer);
  }
  return { vars, text };
}

function hostEntry(inv: Inventory, host: string): HostEntry {
  const entry = inv.hosts.get(host);
  if (!entry) throw new EngineError(`host "${host}" is not in the inventory`, { file: inv.file, host }, 'a host listed in the inventory');
  return entry;
}

function groupsOf(inv: Inventory, entry: HostEntry): Set<string> {
  return new Set(['all', ...entry.groups.flatMap((g) => [g, ...ancestorsOf(inv, g)])]);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The place that gave a key its final value: the last listing that sets it. */
function definedAt(inv: Inventory, bases: YamlPath[], suffix: YamlPath): YamlPath {
  for (const base of [...bases].reverse()) {
    if (inv.locate([...base, ...suffix])) return [...base, ...suffix];
  }
  return [...(bases.at(-1) ?? []), ...suffix];
}

/** Errors name the argument by its position (or its file), never by its text: it may hold a secret. */
function extraVarsOf(arg: string, position: number, cwd: string): Vars {
  const label = arg.startsWith('@') ? `extra vars ${JSON.stringify(arg)}` : `extra vars #${position}`;
  if (arg.startsWith('@')) return asVars(loadYaml(resolve(cwd, arg.slice(1))), label);
  if (arg.startsWith('/') || arg.startsWith('.')) {
    throw new EngineError(`${label} looks like a file name`, {}, `@${arg} to read variables from a file`);
  }
  if (arg.startsWith('{') || arg.startsWith('[')) return asVars(parseYaml(arg, label), label);
  return keyValues(arg, label);
}

const isKeyValues = (arg: string): boolean => !/^[@/.{[]/.test(arg);

function asVars(doc: YamlFile, label: string): Vars {
  const data = doc.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new EngineError(
      `${label} is ${Array.isArray(data) ? 'a list' : data === null ? 'empty' : `a ${typeof data}`}, not a mapping`,
      { file: doc.file },
      EXTRA_VARS_FORMS,
    );
  }
  return data as Vars;
}

/** Ansible's key=value form: whitespace separates pairs unless quoted or inside {{ }}, {% %} or {# #}. */
function keyValues(arg: string, label: string): Vars {
  return Object.fromEntries([...keyValueTexts(arg, label)].map(([key, raw]) => [key, typedValue(raw, label)]));
}

/** Each key=value pair's key and its value's text (quotes still on), later pairs winning. */
function keyValueTexts(arg: string, label: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const [i, token] of splitArgs(arg, label).entries()) {
    const text = decodeEscapes(token);
    const eq = text.search(/(?<=[^\\])=/);
    if (eq < 1) throw new EngineError(`${label}: word ${i + 1} is not key=value`, {}, EXTRA_VARS_FORMS);
    pairs.set(text.slice(0, eq).trim(), text.slice(eq + 1).trim());
  }
  return pairs;
}

function splitArgs(arg: string, label: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote = '';
  let jinjaEnd = '';
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i] as string;
    const pair = arg.slice(i, i + 2);
    if (quote) {
      if (c === '\\') {
        current += pair;
        i++;
        continue;
      }
      if (c === quote) quote = '';
    } else if (jinjaEnd) {
      if (pair === jinjaEnd) {
        current += pair;
        i++;
        jinjaEnd = '';
        continue;
      }
    } else if (/\s/.test(c)) {
      if (current) tokens.push(current);
      current = '';
      continue;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (pair === '{{' || pair === '{%' || pair === '{#') {
      jinjaEnd = pair === '{{' ? '}}' : `${pair[1]}}`;
      current += pair;
      i++;
      continue;
    }
    current += c;
  }
  if (quote) throw new EngineError(`${label}: a ${quote} quote is not closed`, {}, 'matching quotes around a value');
  if (jinjaEnd) throw new EngineError(`${label}: a template is not closed`, {}, `${jinjaEnd} to close the template`);
  if (current) tokens.push(current);
  return tokens;
}

const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Python's string escapes, which Ansible decodes in key=value arguments. */
function decodeEscapes(text: string): string {
  return text.replace(/\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|[\\'"abfnrtv])/g, (_, esc: string) => {
    if (/^[Uux]/.test(esc)) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/^[0-7]/.test(esc)) return String.fromCodePoint(parseInt(esc, 8));
    return ESCAPES[esc] ?? esc;
  });
}

/**
 * Unlike Ansible (whose roles then need `| bool`), an unquoted boolean or number reads as YAML 1.1 reads it, so
 * `-e pg_rm_pkg=false` is false for typed roles; quoting keeps any value a string.
 */
function typedValue(raw: string, label: string): unknown {
  const text = unquote(raw);
  if (text !== raw || raw === '') return text;
  const data = parseYaml(raw, label).data;
  return typeof data === 'boolean' || typeof data === 'number' ? data : raw;
}

function unquote(value: string): string {
  const q = value[0];
  const quoted = value.length >= 2 && (q === '"' || q === "'") && value.endsWith(q) && value.at(-2) !== '\\';
  return quoted ? value.slice(1, -1) : value;
}
