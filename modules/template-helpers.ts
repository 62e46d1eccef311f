import YAML from 'yaml';
import { shq } from '../engine/shell-quote.ts';
import { isTrueWord } from '../engine/bool-words.ts';

/**
 * A template helper: positional arguments and the key=value hash, Handlebars' `options` already taken off.
 * Names and semantics follow the Jinja/Ansible filters Pigsty's templates use (`x | default('y')` is `default x 'y'`).
 */
export type Helper = (args: unknown[], hash: Record<string, unknown>) => unknown;

type Dict = Record<string, unknown>;

/** Python's truthiness, which Jinja conditions use: empty lists, maps and strings are false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

const isDict = (value: unknown): value is Dict => value !== null && typeof value === 'object' && !Array.isArray(value);

function list(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new Error(`${what} expects a list, got ${describe(value)}`);
}

function dict(value: unknown, what: string): Dict {
  if (isDict(value)) return value;
  throw new Error(`${what} expects a map, got ${describe(value)}`);
}

function num(value: unknown, what: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && !Number.isNaN(n)) return n;
  throw new Error(`${what} expects a number, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const str = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** Jinja's ordering: numbers by value, strings case-insensitively. */
function compare(a: unknown, b: unknown, caseSensitive = false): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = caseSensitive ? str(a) : str(a).toLowerCase();
  const y = caseSensitive ? str(b) : str(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The numbers or strings of a helper's arguments: one list argument, or the arguments themselves. */
const spread = (args: unknown[]): unknown[] => (args.length === 1 && Array.isArray(args[0]) ? args[0] : args);

// ---------------------------------------------------------------- Python regular expressions

/** A Python `re` pattern as a RegExp: leading inline flags, (?P<name>...) groups and (?P=name) references. */
export function pythonRegex(pattern: string, flags = ''): RegExp {
  let source = pattern;
  let all = flags;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    if (/[xLa]/.test(inline[1]!)) throw new Error(`unsupported inline flag in regular expression ${JSON.stringify(pattern)}`);
    all += inline[1]!.replace(/u/g, '');
    source = source.slice(inline[0].length);
  }
  source = source
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  try {
    return new RegExp(source, [...new Set(all)].join(''));
  } catch (error) {
    throw new Error(
      `invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
      { cause: error },
    );
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', '\\': '\\' };

/** Python's Match.expand: \1, \g<1>, \g<name> and escapes in a replacement, from a JS match. */
export function expandMatch(template: string, match: RegExpExecArray | RegExpMatchArray): string {
  const group = (ref: string): string => {
    const value = /^\d+$/.test(ref) ? match[Number(ref)] : match.groups?.[ref];
    if (value === undefined && !(/^\d+$/.test(ref) ? Number(ref) < match.length : ref in (match.groups ?? {}))) {
      throw new Error(`invalid group reference ${ref} in ${JSON.stringify(template)}`);
    }
    return value ?? '';
  };
  return template.replace(/\\(g<([^>]*)>|\d{1,2}|.)/gs, (whole, escape: string, ref: string | undefined) => {
    if (ref !== undefined) return group(ref);
    if (/^\d/.test(escape)) return group(escape);
    if (escape in ESCAPES) return ESCAPES[escape]!;
    if (/[A-Za-z]/.test(escape)) throw new Error(`bad escape \\${escape} in ${JSON.stringify(template)}`);
    return whole;
  });
}

// ---------------------------------------------------------------- Python formatting and JSON

/** Python's `%` string formatting (Jinja's format filter): %s %r %d %i %f %x %o %e %g %c %% with flags, width, precision. */
export function pyFormat(format: string, values: unknown[]): string {
  const named = values.length === 1 && isDict(values[0]) ? values[0] : undefined;
  let next = 0;
  const take = (): unknown => {
    if (next >= values.length) throw new Error(`not enough arguments for format string ${JSON.stringify(format)}`);
    return values[next++];
  };
  const out = format.replace(
    /%(?:\(([^)]*)\))?([-#0 +]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g,
    (_m, key, flags: string, w, p, type: string) => {
      if (type === '%') return '%';
      const width = w === '*' ? num(take(), 'format width') : w ? Number(w) : 0;
      const precision = p === '*' ? num(take(), 'format precision') : p !== undefined ? Number(p) : undefined;
      const value = key !== undefined ? (named ?? {})[key] : take();
      let body: string;
      let numeric = true;
      switch (type) {
        case 's':
        case 'a':
        case 'r':
          numeric = false;
          body = type === 's' ? str(value) : (JSON.stringify(value) ?? 'None');
          if (precision !== undefined) body = body.slice(0, precision);
          break;
        case 'c':
          numeric = false;
          body = typeof value === 'number' ? String.fromCodePoint(value) : str(value);
          break;
        case 'd':
        case 'i':
        case 'u':
          body = Math.trunc(num(value, 'format %d')).toString();
          break;
        case 'x':
        case 'X':
        case 'o': {
          const n = Math.trunc(num(value, `format %${type}`));
          body = Math.abs(n).toString(type === 'o' ? 8 : 16);
          if (flags.includes('#')) body = (type === 'o' ? '0o' : '0x') + body;
          if (type === 'X') body = body.toUpperCase();
          if (n < 0) body = `-${body}`;
          break;
        }
        case 'e':
        case 'E':
          body = num(value, 'format %e')
            .toExponential(precision ?? 6)
            .replace(/e([+-])(\d)$/, 'e$10$2');
          if (type === 'E') body = body.toUpperCase();
          break;
        case 'g':
        case 'G':
          body = String(Number(num(value, 'format %g').toPrecision(precision || 6)));
          if (type === 'G') body = body.toUpperCase();
          break;
        default:
          body = num(value, 'format %f').toFixed(precision ?? 6);
      }
      if (numeric && !body.startsWith('-')) body = (flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + body;
      if (body.length >= width) return body;
      if (flags.includes('-')) return body.padEnd(width);
      if (numeric && flags.includes('0')) {
        const sign = /^[-+ ]/.test(body) ? body[0]! : '';
        return sign + body.slice(sign.length).padStart(width - sign.length, '0');
      }
      return body.padStart(width);
    },
  );
  if (next < values.length && !named) throw new Error(`not all arguments converted during formatting of ${JSON.stringify(format)}`);
  return out;
}

const asciiOnly = (json: string): string => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Python's json.dumps: ', ' and ': ' separators (',' with an indent), non-ASCII escaped, keys optionally sorted. */
export function pyJson(value: unknown, indent?: number, sortKeys = false, level = 0): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : Number.isNaN(value) ? 'NaN' : '-Infinity';
  if (typeof value !== 'object') return asciiOnly(JSON.stringify(value));
  const entries: [string | undefined, unknown][] = Array.isArray(value)
    ? value.map((v) => [undefined, v])
    : Object.entries(value).sort(sortKeys ? ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0) : () => 0);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  const items = entries.map(([k, v]) => (k === undefined ? '' : `${asciiOnly(JSON.stringify(k))}: `) + pyJson(v, indent, sortKeys, level + 1));
  if (indent === undefined) return open + items.join(', ') + close;
  const pad = (n: number) => '\n' + ' '.repeat(indent * n);
  return open + pad(level + 1) + items.join(',' + pad(level + 1)) + pad(level) + close;
}

// ---------------------------------------------------------------- YAML scalars

/** What could end a line of text (all control characters but tab, NEL, U+2028/9), for one_line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const LINE_ENDING = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/g;
/** What a YAML 1.1 reader refuses unescaped (C0 but tab, DEL, C1, U+FFFE/U+FFFF) or reads as a line break (NEL, U+2028/9). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const YAML_ESCAPED = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g;
const escapeCode = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
/** A double-quoted YAML scalar: JSON's string syntax (valid YAML), with what YAML 1.1 reads as a break escaped too. */
export const yamlDoubleQuoted = (s: string): string => JSON.stringify(s).replace(YAML_ESCAPED, escapeCode);
/** Plain scalars that read back as themselves in block context (flow: no `,` either): names, paths, addresses, URLs. */
const PLAIN = /^[A-Za-z0-9_/.](?:[A-Za-z0-9_/.@:+=, -]*[A-Za-z0-9_/.@+=-])?$/;

/**
 * `value` as a YAML scalar that reads back as exactly that value, with nothing of it taken as YAML syntax: a number
 * or boolean as is; a string plain when it is an ordinary word, path or address that YAML 1.1 and 1.2 both read as
 * that same string (so configs of ordinary inventories keep their form), double-quoted otherwise. `style` 'single'
 * keeps Pigsty's single quotes where the text allows, 'double' always double-quotes; `flow` is for a flow list item.
 */
export function yamlScalar(value: unknown, style: 'plain' | 'single' | 'double' = 'plain', flow = false): string {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`expects a finite number, got ${String(value)}`);
  if (typeof value === 'number' || typeof value === 'boolean') {
    if (style === 'plain') return String(value);
    value = String(value);
  }
  if (typeof value !== 'string') throw new Error(`expects a string, number or boolean, got ${describe(value)}`);
  if (style === 'double') return yamlDoubleQuoted(value);
  if (style === 'single') return /^[\x20-\x7e]*$/.test(value) ? `'${value.replaceAll("'", "''")}'` : yamlDoubleQuoted(value);
  const plain = PLAIN.test(value) && !value.includes(': ') && !(flow && value.includes(',')) && readsAs(value);
  return plain ? value : yamlDoubleQuoted(value);
}

/** Whether a plain scalar reads back as this very string in YAML 1.1 (PyYAML, Go) and 1.2 (no bool, number, null, timestamp). */
function readsAs(text: string): boolean {
  try {
    return YAML.parse(text, { version: '1.1' }) === text && YAML.parse(text) === text;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- IP addresses

interface Ip {
  family: 4 | 6;
  value: bigint;
}

const bits = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function parseIp(text: string): Ip | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return undefined;
  let groups: string[];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const expand = (half: string): string[] => {
    if (half === '') return [];
    const parts = half.split(':');
    const last = parts[parts.length - 1]!;
    if (last.includes('.')) {
      const v4 = parseIp(last);
      if (!v4 || v4.family !== 4) return ['x'];
      parts.splice(-1, 1, (v4.value >> 16n).toString(16), (v4.value & 0xffffn).toString(16));
    }
    return parts;
  };
  if (halves.length === 2) {
    const head = expand(halves[0]!);
    const tail = expand(halves[1]!);
    if (head.length + tail.length > 7) return undefined;
    groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  } else {
    groups = expand(text);
  }
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function formatIp(ip: Ip): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => ((ip.value >> s) & 0xffn).toString()).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run (two or more) of zero groups becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function parseCidr(text: unknown): { ip: Ip; prefix: number } {
  const [address = '', prefix, ...rest] = str(text).split('/');
  const ip = parseIp(address);
  const length = prefix === undefined ? undefined : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!ip || rest.length || (length !== undefined && !(length <= bits(ip.family)))) {
    throw new Error(`invalid IP address or CIDR ${describe(text)}`);
  }
  return { ip, prefix: length ?? bits(ip.family) };
}

const maskOf = (family: 4 | 6, prefix: number): bigint => ((1n << BigInt(bits(family))) - 1n) ^ ((1n << BigInt(bits(family) - prefix)) - 1n);

// ---------------------------------------------------------------- the helpers

function sorted(args: unknown[], hash: Dict): unknown[] {
  const attribute = (args[1] ?? hash.attribute) as string | undefined;
  const key = (item: unknown) => (attribute === undefined ? item : dict(item, 'sorted attribute')[attribute]);
  const out = [...list(args[0], 'sorted')].sort((a, b) => compare(key(a), key(b), hash.case_sensitive === true));
  return hash.reverse === true ? out.reverse() : out;
}

/** Jinja's selectattr tests: defined, undefined, eq/equalto, ne, in, truthy (no test). */
function attrTest(args: unknown[], what: string): (item: unknown) => boolean {
  const [, attribute, test, operand] = args;
  if (typeof attribute !== 'string') throw new Error(`${what} expects an attribute name`);
  const get = (item: unknown) => dict(item, what)[attribute];
  switch (test) {
    case undefined:
    case 'truthy':
      return (item) => truthy(get(item));
    case 'defined':
      return (item) => get(item) !== undefined;
    case 'undefined':
      return (item) => get(item) === undefined;
    case 'eq':
    case 'equalto':
    case '==':
      return (item) => get(item) === operand;
    case 'ne':
    case '!=':
      return (item) => get(item) !== operand;
    case 'in':
      return (item) => list(operand, `${what} in`).includes(get(item));
    default:
      throw new Error(`${what}: unknown test ${describe(test)} (defined, undefined, eq, ne, in, truthy)`);
  }
}

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return container.includes(str(item));
  if (Array.isArray(container)) return container.includes(item);
  if (isDict(container)) return Object.hasOwn(container, str(item));
  if (container === undefined || container === null) return false;
  throw new Error(`cannot look for ${describe(item)} in ${describe(container)}`);
}

function toInt(value: unknown, fallback: unknown = 0): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : fallback;
  if (typeof value === 'string') {
    const text = value.trim().replace(/_/g, '');
    if (/^[-+]?\d+$/.test(text)) return parseInt(text, 10);
    const f = Number(text);
    if (text !== '' && Number.isFinite(f)) return Math.trunc(f);
  }
  return fallback;
}

/** Python's round: decided on the double's exact decimal value, exact halves going to the even neighbour. */
function roundHalfEven(value: number, precision: number): number {
  if (!Number.isFinite(value) || precision < 0 || precision > 40) return Math.round(value * 10 ** precision) / 10 ** precision;
  const [whole = '', fraction = ''] = Math.abs(value)
    .toFixed(precision + 60)
    .split('.');
  const lastKept = Number((precision > 0 ? fraction[precision - 1] : whole[whole.length - 1]) ?? 0);
  // toFixed already rounds non-ties correctly; on a tie it rounds up, which is right only from an odd digit.
  const rounded =
    /^50*$/.test(fraction.slice(precision)) && lastKept % 2 === 0
      ? Number(`${whole}.${fraction.slice(0, precision)}`)
      : Number(Math.abs(value).toFixed(precision));
  return value < 0 ? -rounded : rounded;
}

function indent(args: unknown[], hash: Dict): string {
  const text = str(args[0]);
  const width = args[1] ?? hash.width ?? 4;
  const first = truthy(args[2] ?? hash.first ?? false);
  const blank = truthy(args[3] ?? hash.blank ?? false);
  const pad = typeof width === 'string' ? width : ' '.repeat(num(width, 'indent width'));
  const lines = `${text}\n`.split('\n').slice(0, -1);
  const [head = '', ...rest] = lines;
  const out = blank ? lines.join(`\n${pad}`) : [head, ...rest.map((l) => (l ? pad + l : l))].join('\n');
  return first ? pad + out : out;
}

function get(args: unknown[], hash: Dict): unknown {
  const [root, ...keys] = args;
  let value = root;
  const path: string[] = [];
  for (const key of keys) {
    path.push(str(key));
    const found = Array.isArray(value) ? value[num(key, 'get index')] : isDict(value) && Object.hasOwn(value, str(key)) ? value[str(key)] : undefined;
    if (found === undefined) {
      if ('default' in hash) return hash.default;
      throw new Error(`no key ${path.map((p) => `[${JSON.stringify(p)}]`).join('')} in ${describe(root)}`);
    }
    value = found;
  }
  return value;
}

const cidr =
  (name: string, fn: (c: { ip: Ip; prefix: number }) => unknown): Helper =>
  (args) => {
    if (args[0] === undefined) throw new Error(`${name} expects an address, got undefined`);
    return fn(parseCidr(args[0]));
  };

export const helpers: Record<string, Helper> = {
  // values
  default: ([value, fallback, boolean], hash) => (value === undefined || ((boolean ?? hash.boolean) === true && !truthy(value)) ? fallback : value),
  defined: ([value]) => value !== undefined,
  ternary: ([condition, yes, no]) => (truthy(condition) ? yes : no),
  bool: ([value]) => (typeof value === 'boolean' ? value : isTrueWord(str(value))),
  int: ([value, fallback], hash) => toInt(value, fallback ?? hash.default ?? 0),
  float: ([value, fallback]) => {
    const n = typeof value === 'boolean' ? Number(value) : typeof value === 'string' && value.trim() === '' ? NaN : Number(value);
    return Number.isNaN(n) ? (fallback ?? 0) : n;
  },
  string: ([value]) => str(value),

  // strings
  upper: ([s]) => str(s).toUpperCase(),
  lower: ([s]) => str(s).toLowerCase(),
  trim: ([s]) => str(s).trim(),
  replace: ([s, from, to]) => str(s).split(str(from)).join(str(to)),
  regex_replace: ([s, pattern, replacement = ''], hash) => {
    const flags = `g${hash.ignorecase === true ? 'i' : ''}${hash.multiline === true ? 'm' : ''}`;
    return str(s).replace(pythonRegex(str(pattern), flags), (...m) => {
      const groups = typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Dict) : undefined;
      const match = m.slice(0, groups ? -3 : -2) as unknown as RegExpMatchArray;
      if (groups) match.groups = groups as Record<string, string>;
      return expandMatch(str(replacement), match);
    });
  },
  regex_search: ([s, pattern], hash) =>
    pythonRegex(str(pattern), `${hash.ignorecase === true ? 'i' : ''}${hash.multiline === true ? 'm' : ''}`).exec(str(s))?.[0],
  split: ([s, separator]) => (separator === undefined ? str(s).trim().split(/\s+/).filter(Boolean) : str(s).split(str(separator))),
  startswith: ([s, prefix]) => str(s).startsWith(str(prefix)),
  endswith: ([s, suffix]) => str(s).endsWith(str(suffix)),
  quote: ([s]) => shq(str(s)),
  indent,
  format: ([format, ...values]) => pyFormat(str(format), values),

  // numbers
  add: ([a, b]) => num(a, 'add') + num(b, 'add'),
  sub: ([a, b]) => num(a, 'sub') - num(b, 'sub'),
  mul: ([a, b]) => num(a, 'mul') * num(b, 'mul'),
  div: ([a, b]) => {
    if (num(b, 'div') === 0) throw new Error('division by zero');
    return num(a, 'div') / num(b, 'div');
  },
  mod: ([a, b]) => {
    const d = num(b, 'mod');
    if (d === 0) throw new Error('modulo by zero');
    return ((num(a, 'mod') % d) + d) % d;
  },
  round: ([value, precision, method], hash) => {
    const p = num(precision ?? hash.precision ?? 0, 'round precision');
    const m = method ?? hash.method ?? 'common';
    const v = num(value, 'round');
    if (m === 'ceil') return Math.ceil(v * 10 ** p) / 10 ** p;
    if (m === 'floor') return Math.floor(v * 10 ** p) / 10 ** p;
    if (m === 'common') return roundHalfEven(v, p);
    throw new Error(`round: method must be common, ceil or floor, got ${describe(m)}`);
  },
  min: (args) => {
    const values = spread(args);
    if (!values.length) throw new Error('min of an empty list');
    return values.reduce((a, b) => (compare(b, a) < 0 ? b : a));
  },
  max: (args) => {
    const values = spread(args);
    if (!values.length) throw new Error('max of an empty list');
    return values.reduce((a, b) => (compare(b, a) > 0 ? b : a));
  },

  // comparisons and logic
  eq: ([a, b]) => a === b,
  ne: ([a, b]) => a !== b,
  gt: ([a, b]) => compare(a, b, true) > 0,
  ge: ([a, b]) => compare(a, b, true) >= 0,
  lt: ([a, b]) => compare(a, b, true) < 0,
  le: ([a, b]) => compare(a, b, true) <= 0,
  and: (args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
  not: ([a]) => !truthy(a),
  contains: ([container, item]) => contains(container, item),
  in: ([item, container]) => contains(container, item),

  // collections
  list: (args) => args,
  dict: (_args, hash) => ({ ...hash }),
  join: ([items, separator = ''], hash) =>
    list(items, 'join')
      .map(str)
      .join(str(hash.separator ?? separator)),
  length: ([v]) => (v === undefined || v === null ? 0 : typeof v === 'string' || Array.isArray(v) ? v.length : Object.keys(dict(v, 'length')).length),
  first: ([v]) => (typeof v === 'string' ? v[0] : list(v, 'first')[0]),
  last: ([v]) => (typeof v === 'string' ? v[v.length - 1] : list(v, 'last').at(-1)),
  concat: (args) => (Array.isArray(args[0]) ? args.flatMap((a) => list(a, 'concat')) : args.map(str).join('')),
  sorted,
  unique: ([items]) => {
    const seen = new Set<string>();
    return list(items, 'unique').filter((i) => {
      const key = JSON.stringify(i);
      return seen.has(key) ? false : (seen.add(key), true);
    });
  },
  keys: ([m]) => Object.keys(dict(m, 'keys')),
  values: ([m]) => Object.values(dict(m, 'values')),
  items: ([m]) => Object.entries(dict(m, 'items')).map(([key, value]) => ({ key, value })),
  dictsort: ([m]) =>
    Object.entries(dict(m, 'dictsort'))
      .sort(([a], [b]) => compare(a, b))
      .map(([key, value]) => ({ key, value })),
  get,
  selectattr: (args) => list(args[0], 'selectattr').filter(attrTest(args, 'selectattr')),
  rejectattr: (args) => {
    const test = attrTest(args, 'rejectattr');
    return list(args[0], 'rejectattr').filter((i) => !test(i));
  },
  map_attr: ([items, attribute]) => list(items, 'map_attr').map((i) => dict(i, 'map_attr')[str(attribute)]),

  // serialization
  // A value in a comment or other text that must stay on its line: what could end the line is written as \uXXXX.
  one_line: ([v]) => str(v).replace(LINE_ENDING, escapeCode),
  // A scalar written into a YAML config: plain when that reads back as the same string, quoted otherwise (yamlScalar).
  yaml_str: ([v], hash) => {
    const style = hash.style ?? 'plain';
    if (style !== 'plain' && style !== 'single' && style !== 'double')
      throw new Error(`style must be plain, single or double, got ${describe(style)}`);
    return yamlScalar(v, style, hash.flow === true);
  },
  to_json: ([v]) => pyJson(v),
  to_nice_json: ([v, indentWidth], hash) => pyJson(v, num(indentWidth ?? hash.indent ?? 4, 'to_nice_json indent'), true),
  // Keys sorted as PyYAML's dump sorts them; long strings never folded.
  to_yaml: ([v]) => YAML.stringify(v, { sortMapEntries: true, lineWidth: 0 }),
  to_nice_yaml: ([v, indentWidth], hash) =>
    YAML.stringify(v, { indent: num(indentWidth ?? hash.indent ?? 4, 'to_nice_yaml indent'), sortMapEntries: true, lineWidth: 0 }),

  // IP addresses: '10.10.10.10/24' style CIDRs (IPv4 and IPv6)
  is_ip: ([v]) => typeof v === 'string' && parseIp(v) !== undefined,
  cidr_ip: cidr('cidr_ip', (c) => formatIp(c.ip)),
  cidr_prefix: cidr('cidr_prefix', (c) => c.prefix),
  cidr_network: cidr('cidr_network', (c) => formatIp({ family: c.ip.family, value: c.ip.value & maskOf(c.ip.family, c.prefix) })),
  cidr_netmask: cidr('cidr_netmask', (c) => formatIp({ family: c.ip.family, value: maskOf(c.ip.family, c.prefix) })),
  ip_in_cidr: ([ip, range]) => {
    const address = parseCidr(ip).ip;
    const net = parseCidr(range);
    const mask = maskOf(net.ip.family, net.prefix);
    return address.family === net.ip.family && (address.value & mask) === (net.ip.value & mask);
  },
};
