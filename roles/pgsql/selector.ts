/**
 * Pigsty's service `selector` and `backup` are JMESPath expressions over the cluster's members (a list of
 * host variable maps). This evaluates the part of JMESPath those expressions use: projections `[]` `[*]`,
 * filters `[? ... ]`, indexes and slices, field paths, `@`, literals (`json`, 'raw'), comparisons, `&&`,
 * `||`, `!`, parentheses and pipes. Anything else (functions, multiselects) is refused with a clear error.
 */
type Json = unknown;

type Token =
  | { t: 'op'; v: string }
  | { t: 'id'; v: string }
  | { t: 'lit'; v: Json }
  | { t: 'num'; v: number }
  | { t: 'end' };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||', '[?', '[]'].includes(two)) {
      tokens.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('[]().,|!<>@*:'.includes(c)) {
      tokens.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close < 0) throw new Error(`unterminated \`literal\` at ${i}`);
      const body = src.slice(i + 1, close).replace(/\\`/g, '`');
      let value: Json;
      try {
        value = JSON.parse(body);
      } catch {
        // JMESPath's legacy form, which Pigsty's defaults use: `primary` means the string "primary".
        value = body.trim();
      }
      tokens.push({ t: 'lit', v: value });
      i = close + 1;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let body = '';
      while (j < src.length && src.charAt(j) !== "'") {
        if (src.charAt(j) === '\\' && (src.charAt(j + 1) === "'" || src.charAt(j + 1) === '\\')) j++;
        body += src.charAt(j);
        j++;
      }
      if (j >= src.length) throw new Error(`unterminated 'string' at ${i}`);
      tokens.push({ t: 'lit', v: body });
      i = j + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src.charAt(j) !== '"') j += src.charAt(j) === '\\' ? 2 : 1;
      if (j >= src.length) throw new Error(`unterminated "identifier" at ${i}`);
      tokens.push({ t: 'id', v: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
      continue;
    }
    const num = /^-?[0-9]+/.exec(src.slice(i));
    if (num) {
      tokens.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      tokens.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    throw new Error(`unexpected character ${JSON.stringify(c)} at ${i}`);
  }
  tokens.push({ t: 'end' });
  return tokens;
}

/** A compiled expression: a function of the current value. Projections carry a marker so later steps map over them. */
type Node = (value: Json) => Json;
const PROJECTION = Symbol('projection');
type Projected = Json[] & { [PROJECTION]?: true };
const project = (items: Json[]): Projected => Object.assign(items, { [PROJECTION]: true as const });
const isProjection = (value: Json): value is Projected => Array.isArray(value) && (value as Projected)[PROJECTION] === true;

/** JMESPath truthiness: false, null, '', [] and {} are false. */
export function jmesTruthy(value: Json): boolean {
  if (value === null || value === undefined || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]));
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }
  private next(): Token {
    return this.tokens[this.pos++] as Token;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private expect(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new Error(`expected "${v}", got ${describe(t)}`);
  }

  parse(): Node {
    const node = this.pipe();
    if (this.peek().t !== 'end') throw new Error(`unexpected ${describe(this.peek())}`);
    return node;
  }

  private pipe(): Node {
    let left = this.or();
    while (this.isOp('|')) {
      this.next();
      const right = this.or();
      const l = left;
      left = (value) => right(strip(l(value)));
    }
    return left;
  }

  private or(): Node {
    let left = this.and();
    while (this.isOp('||')) {
      this.next();
      const right = this.and();
      const l = left;
      left = (value) => {
        const a = strip(l(value));
        return jmesTruthy(a) ? a : strip(right(value));
      };
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.isOp('&&')) {
      this.next();
      const right = this.not();
      const l = left;
      left = (value) => {
        const a = strip(l(value));
        return jmesTruthy(a) ? strip(right(value)) : a;
      };
    }
    return left;
  }

  private not(): Node {
    if (this.isOp('!')) {
      this.next();
      const inner = this.not();
      return (value) => !jmesTruthy(strip(inner(value)));
    }
    return this.comparison();
  }

  private comparison(): Node {
    const left = this.postfix();
    const t = this.peek();
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.next();
      const right = this.postfix();
      const op = t.v;
      return (value) => {
        const a = strip(left(value));
        const b = strip(right(value));
        if (op === '==') return deepEqual(a, b);
        if (op === '!=') return !deepEqual(a, b);
        if (typeof a !== 'number' || typeof b !== 'number') return null;
        return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
      };
    }
    return left;
  }

  private postfix(): Node {
    let node = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.t !== 'id') throw new Error(`expected a field name after ".", got ${describe(t)}`);
        node = chain(node, field(t.v));
      } else if (this.isOp('[') || this.isOp('[?') || this.isOp('[]')) {
        node = chain(node, this.bracket());
      } else {
        return node;
      }
    }
  }

  private primary(): Node {
    const t = this.peek();
    if (t.t === 'id') {
      this.next();
      if (this.isOp('(')) throw new Error(`function ${t.v}() is not supported in selectors`);
      return field(t.v);
    }
    if (t.t === 'lit') {
      this.next();
      return () => t.v;
    }
    if (t.t === 'op' && t.v === '@') {
      this.next();
      return (value) => value;
    }
    if (t.t === 'op' && t.v === '(') {
      this.next();
      const inner = this.pipe();
      this.expect(')');
      return (value) => strip(inner(value));
    }
    if (t.t === 'op' && (t.v === '[' || t.v === '[?' || t.v === '[]')) return this.bracket();
    throw new Error(`unexpected ${describe(t)}`);
  }

  /** One bracket step applied to the current value: flatten, wildcard, filter, index or slice. */
  private bracket(): Node {
    const t = this.next();
    if (t.t === 'op' && t.v === '[]') {
      return (value) => (Array.isArray(value) ? project(value.flatMap((v) => (Array.isArray(v) ? v : [v]))) : null);
    }
    if (t.t === 'op' && t.v === '[?') {
      const condition = this.pipe();
      this.expect(']');
      return (value) => (Array.isArray(value) ? project(value.filter((v) => jmesTruthy(strip(condition(v))))) : null);
    }
    // '['
    if (this.isOp('*')) {
      this.next();
      this.expect(']');
      return (value) => (Array.isArray(value) ? project([...value]) : null);
    }
    const parts: (number | undefined)[] = [];
    let colons = 0;
    let current: number | undefined;
    for (;;) {
      const n = this.next();
      if (n.t === 'num') current = n.v;
      else if (n.t === 'op' && n.v === ':') {
        parts.push(current);
        current = undefined;
        colons++;
      } else if (n.t === 'op' && n.v === ']') {
        parts.push(current);
        break;
      } else throw new Error(`unexpected ${describe(n)} in [...]`);
    }
    if (colons === 0) {
      const index = parts[0];
      if (index === undefined) throw new Error('empty index []');
      return (value) => (Array.isArray(value) ? (value.at(index) ?? null) : null);
    }
    const [start, stop, step] = parts;
    if (step !== undefined && step !== 1) throw new Error('slices with a step are not supported in selectors');
    return (value) => (Array.isArray(value) ? project(value.slice(start ?? 0, stop ?? value.length)) : null);
  }
}

const field =
  (name: string): Node =>
  (value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? ((value as Record<string, Json>)[name] ?? null) : null;

/** Apply `step` after `node`; over a projection, apply it to each element and drop nulls, as JMESPath does. */
function chain(node: Node, step: Node): Node {
  return (value) => {
    const result = node(value);
    if (isProjection(result)) return project(result.map((v) => step(v)).filter((v) => v !== null && v !== undefined));
    return step(result);
  };
}

/** A projection ends at a pipe, a comparison or a logical operator. */
const strip = (value: Json): Json => (isProjection(value) ? [...value] : value);

function describe(t: Token): string {
  if (t.t === 'end') return 'end of expression';
  if (t.t === 'lit') return `literal ${JSON.stringify(t.v)}`;
  return `"${String(t.v)}"`;
}

/** Evaluate a JMESPath expression (the subset above) on a value. */
export function jmesSearch(expression: string, data: Json): Json {
  let node: Node;
  try {
    node = new Parser(tokenize(expression)).parse();
  } catch (error) {
    throw new Error(`cannot read selector ${JSON.stringify(expression)}: ${(error as Error).message}`, { cause: error });
  }
  return strip(node(data));
}

/** What a service needs to know about one cluster member: its host variables (the selector sees all of them). */
export type Member = Record<string, unknown> & { inventory_hostname: string; pg_cluster: string; pg_seq: number };

/** The cluster's members in inventory order, as Pigsty's `[@.*][0][?pg_cluster=='X']` query lists them. */
export function clusterMembers(hostvars: Record<string, Record<string, unknown>>, cluster: string): Member[] {
  return Object.entries(hostvars)
    .filter(([, vars]) => vars.pg_cluster === cluster && vars.pg_seq !== undefined)
    .map(([host, vars]) => ({ ...vars, inventory_hostname: host }) as Member);
}

/** Members a selector (or backup) expression picks; an expression giving anything but a list picks none. */
export function selectMembers(expression: string | undefined, members: Member[]): Member[] {
  if (expression === undefined || expression === '') return [];
  const picked = jmesSearch(expression, members);
  if (picked === null || picked === undefined) return [];
  const list = Array.isArray(picked) ? picked : [picked];
  return list.filter((m): m is Member => m !== null && typeof m === 'object' && typeof (m as Member).inventory_hostname === 'string');
}
