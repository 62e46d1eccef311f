import type { HaproxyService, PgService } from '../params.ts';
import { renderHaproxyService } from '../haproxy/render.ts';
import { rtoSettings, type RtoPlanRow } from './rto.ts';

/**
 * A boolean parameter as Ansible's `| bool` reads it: `-e pg_safeguard=true` arrives as the string "true", so
 * strings y/yes/on/1/true/t (any case) are true and other strings false; undefined takes the default.
 */
export function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  return ['y', 'yes', 'on', '1', 'true', 't'].includes(String(value).trim().toLowerCase());
}

//------------------------------------------------------------------ JMESPath subset for selector / backup

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

//------------------------------------------------------------------ services

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

/** The HAProxy default-server line of a service: the RTO plan's check timings (unknown plan names fall back to norm). */
export function rtoServerDefaults(rto: string | undefined, plan?: Record<string, RtoPlanRow>): string {
  const { inter, fastinter, downinter, rise, fall } = rtoSettings(rto, plan);
  return `inter ${inter} fastinter ${fastinter} downinter ${downinter} rise ${rise} fall ${fall} on-marked-down shutdown-sessions slowstart 30s maxconn 3000 maxqueue 128 weight 100`;
}

/** The port a member serves a service on: an explicit port, its postgres or pgbouncer port; default means pg_default_service_dest. */
export function destinationPort(dest: PgService['dest'], member: Member, defaultDest: string): number {
  const wanted = dest === undefined || dest === 'default' ? defaultDest : dest;
  if (typeof wanted === 'number') return wanted;
  if (wanted === 'pgbouncer') return typeof member.pgbouncer_port === 'number' ? member.pgbouncer_port : 6432;
  if (wanted === 'postgres') return typeof member.pg_port === 'number' ? member.pg_port : 5432;
  return 5432;
}

export interface ServiceContext {
  cluster: string;
  members: Member[];
  /** pg_default_service_dest: where dest 'default' goes. */
  defaultDest: string;
  rto?: string;
  rtoPlan?: Record<string, RtoPlanRow>;
}

/**
 * A pg service as a generic HAProxy service (the haproxy_services shape): listen `<cluster>-<name>`, HTTP
 * health checks against Patroni's REST API, servers picked by selector with backup flags per spec 3.2.
 */
export function pgHaproxyService(service: PgService, ctx: ServiceContext): HaproxyService {
  const chosen = selectMembers(service.selector ?? '[]', ctx.members);
  const backups = selectMembers(service.backup, ctx.members);
  const backupHosts = new Set(backups.map((m) => m.inventory_hostname));
  const chosenHosts = new Set(chosen.map((m) => m.inventory_hostname));
  const server = (m: Member, backup: boolean): HaproxyService['servers'][number] => {
    const ssl = flag(m.patroni_ssl_enabled, false) ? 'check-ssl ca-file /pg/cert/ca.crt ' : '';
    const patroniPort = typeof m.patroni_port === 'number' ? m.patroni_port : 8008;
    return {
      name: `${m.pg_cluster}-${m.pg_seq}`,
      ip: m.inventory_hostname,
      port: destinationPort(service.dest, m, ctx.defaultDest),
      options: `${ssl}check port ${patroniPort}`,
      weight: typeof m.pg_weight === 'number' ? m.pg_weight : 100,
      backup,
    };
  };
  return {
    name: `${ctx.cluster}-${service.name}`,
    ip: service.ip ?? '*',
    port: service.port,
    protocol: 'tcp',
    maxconn: service.maxconn ?? 5000,
    balance: service.balance ?? 'roundrobin',
    options: ['option httpchk', 'option http-keep-alive', `http-check send meth OPTIONS uri ${service.check ?? '/'}`, 'http-check expect status 200'],
    default: service.options ?? rtoServerDefaults(ctx.rto, ctx.rtoPlan),
    servers: [
      ...chosen.map((m) => server(m, backupHosts.has(m.inventory_hostname))),
      ...backups.filter((m) => !chosenHosts.has(m.inventory_hostname)).map((m) => server(m, true)),
    ],
  };
}

/** Every service file of a cluster: name (without .cfg) → content. Service names must be unique. */
export function pgServiceFiles(services: PgService[], ctx: ServiceContext): Map<string, string> {
  const files = new Map<string, string>();
  for (const service of services) {
    const haproxy = pgHaproxyService(service, ctx);
    if (files.has(haproxy.name)) throw new Error(`service ${service.name} of ${ctx.cluster} is defined twice`);
    // The haproxy role's renderer, so node services and pg services share one format.
    files.set(haproxy.name, renderHaproxyService(haproxy, `cluster ${ctx.cluster}`));
  }
  return files;
}

/**
 * Service files of this cluster to remove: `<cluster>-*.cfg` names that are not wanted now, leaving alone the
 * files of other clusters whose names start with this one's (pg-test and pg-test2-x, pg-test-2...).
 */
export function staleServiceFiles(existing: string[], cluster: string, wanted: Iterable<string>, otherClusters: string[]): string[] {
  const keep = new Set([...wanted].map((n) => `${n}.cfg`));
  const others = otherClusters.filter((c) => c !== cluster && c.startsWith(`${cluster}-`));
  return existing.filter(
    (file) => file.startsWith(`${cluster}-`) && file.endsWith('.cfg') && !keep.has(file) && !others.some((o) => file.startsWith(`${o}-`)),
  );
}

//------------------------------------------------------------------ VIP

/** The variables vip-manager's configuration is computed from (a subset of RoleVars). */
export interface VipVars {
  inventory_hostname: string;
  pg_cluster?: string;
  pg_instance?: string;
  pg_mode?: string;
  pg_shard?: string;
  pg_group?: number;
  pg_namespace?: string;
  pg_vip_address?: string;
  pg_vip_interface?: string;
  pg_etcd_password?: string;
  etcd_port?: number;
  groups: Record<string, string[]>;
}

export const VIP_MANAGER_UNIT = '/etc/systemd/system/vip-manager.service';
export const VIP_MANAGER_CONFIG = '/etc/default/vip-manager.yml';

/**
 * The values vip-manager.hbs prints (under `vip`): Patroni's leader key of the cluster (of the shard group for
 * Citus), the address and prefix length from pg_vip_address, the etcd endpoints (sorted etcd group, TLS) and
 * the cluster's etcd credentials (pg_etcd_password, else the cluster name, as the core's pg_etcd step creates).
 */
export function vipTemplateVars(v: VipVars, iface?: string) {
  const cluster = v.pg_cluster ?? '';
  const namespace = v.pg_namespace ?? '/pg';
  const citus = v.pg_mode === 'citus';
  const address = v.pg_vip_address ?? '127.0.0.1/24';
  const [ip, prefix] = address.split('/');
  const etcdUser = citus ? (v.pg_shard ?? cluster) : cluster;
  return {
    cluster,
    instance: v.pg_instance ?? v.inventory_hostname,
    address,
    ip: ip ?? address,
    // a number: vip-manager reads an integer, and the YAML writer quotes a string that looks like one
    netmask: Number(prefix ?? 24),
    interface: iface ?? v.pg_vip_interface ?? 'eth0',
    trigger_key: citus ? `${namespace}/${v.pg_shard ?? cluster}/${v.pg_group ?? 0}/leader` : `${namespace}/${cluster}/leader`,
    endpoints: [...(v.groups.etcd ?? [])].sort().map((host) => `https://${host}:${v.etcd_port ?? 2379}`),
    etcd_user: etcdUser,
    etcd_password: v.pg_etcd_password ? v.pg_etcd_password : etcdUser,
    unit_path: VIP_MANAGER_UNIT,
  };
}

/** The interface holding an address, from `ip -o -4 addr show` output; undefined when none does. */
export function interfaceOf(ipAddrOutput: string, address: string): string | undefined {
  for (const line of ipAddrOutput.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([0-9.]+)\//.exec(line);
    if (m && m[2] === address) return m[1]?.replace(/@.*$/, '');
  }
  return undefined;
}
