import { HBA_ADDR_ALIASES, HBA_FIELD, SINGLE_LINE, type HbaRule, type PgRole } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { required } from './required.ts';

/** Which server reads the rendered rules: PostgreSQL's pg_hba.conf or pgbouncer's auth_hba_file. */
export type HbaTarget = 'postgres' | 'pgbouncer';

/** Everything the address, user and auth aliases of a rule resolve against, for one instance. */
export interface HbaContext {
  pg_role: PgRole;
  pg_offline_query: boolean;
  admin_ip: string;
  /** Hosts of group infra. */
  infra: string[];
  /** Members of the instance's cluster. */
  cluster: string[];
  /** node_firewall_intranet. */
  intranet: string[];
  users: { dbsu: string; repl: string; monitor: string; admin: string };
}

const HBA_ROLES = ['default', 'common', 'primary', 'replica', 'offline', 'standby', 'delayed'] as const;
const IPV4_CIDR = /^([0-9]{1,3}\.){3}[0-9]{1,3}(\/([0-9]|[1-2][0-9]|3[0-2]))?$/;

/**
 * The auth method each alias writes. `pwd`/`ssl` are scram-sha-256 (Pigsty v4.0 removed pg_pwd_enc); pgbouncer has no ident, so `ident`/`os` become
 * peer there; deny is written as reject, the keyword both servers know.
 */
export function authMethod(auth: string, target: HbaTarget): string | undefined {
  const osAuth = target === 'pgbouncer' ? 'peer' : 'ident';
  const map: Record<string, string> = {
    pwd: 'scram-sha-256',
    ssl: 'scram-sha-256',
    sha: 'scram-sha-256',
    'ssl-sha': 'scram-sha-256',
    'scram-sha-256': 'scram-sha-256',
    md5: 'md5',
    'ssl-md5': 'md5',
    cert: 'cert',
    deny: 'reject',
    reject: 'reject',
    trust: 'trust',
    ident: osAuth,
    os: osAuth,
    peer: 'peer',
  };
  return Object.hasOwn(map, auth) ? map[auth] : undefined;
}

/** Rules with an order first, sorted by it (stable), then the unordered ones in the order they were declared. */
export function sortHbaRules(rules: readonly HbaRule[]): HbaRule[] {
  const ordered = rules.filter((r) => r.order !== undefined).sort((a, b) => (a.order as number) - (b.order as number));
  return [...ordered, ...rules.filter((r) => r.order === undefined)];
}

/** Python's "%-Ns": left-justified in N columns, never truncated. */
const pad = (text: string, width: number): string => text.padEnd(width);

const LINE = new RegExp(SINGLE_LINE);
const FIELD = new RegExp(HBA_FIELD);

/** A value checked to stay on its line (title, raw rule), as the schema checks the inventory: defaults and -e values too. */
function oneLine(value: string, where: string, what: string): string {
  if (!LINE.test(value)) throw new Error(`${where}: ${what} ${JSON.stringify(value)} must be a single line without control characters`);
  return value;
}

/** A user or db value checked to be one field of the line: a space or # would shift or cut the fields after it. */
function oneField(value: string, where: string, what: string): string {
  if (!FIELD.test(value)) throw new Error(`${where}: ${what} ${JSON.stringify(value)} must be one HBA field (no spaces, # or control characters)`);
  return value;
}

/** Whether a rule applies to this instance; rules for another role are written commented out. */
export function hbaRuleEnabled(role: string, ctx: Pick<HbaContext, 'pg_role' | 'pg_offline_query'>): boolean {
  return role === 'default' || role === 'common' || role === ctx.pg_role || (role === 'offline' && ctx.pg_offline_query);
}

/** The lines of one rule: a title comment, then one line per address (or its raw `rules`), '#'-prefixed when disabled. */
function renderRule(rule: HbaRule, target: HbaTarget, ctx: HbaContext, index: number): string[] {
  // Escaped, so that a title with a newline cannot forge lines in the error either.
  const where = `HBA rule #${index + 1}${rule.title ? ` (${JSON.stringify(rule.title).slice(1, -1)})` : ''}`;
  oneLine(rule.title ?? '', where, 'title');
  const role: string = rule.role !== undefined && (rule.role as string) !== '' ? rule.role : 'default';
  if (!(HBA_ROLES as readonly string[]).includes(role)) throw new Error(`${where}: invalid role "${role}", expected one of ${HBA_ROLES.join(', ')}`);
  const mark = hbaRuleEnabled(role, ctx) ? '' : '#';
  const title = `# ${rule.title ?? ''} [${role}] ${mark ? '[DISABLED]' : ''}`.trimEnd();

  if (rule.rules !== undefined && rule.rules.length > 0) return [title, ...rule.rules.map((line) => `${mark}${oneLine(line, where, 'rules line')}`)];
  const addr = rule.addr ?? '';
  if (addr === '') throw new Error(`${where}: neither addr nor rules is given`);
  if (!(HBA_ADDR_ALIASES as readonly string[]).includes(addr) && !IPV4_CIDR.test(addr)) {
    throw new Error(`${where}: invalid addr "${addr}", expected one of ${HBA_ADDR_ALIASES.join(', ')} or an IPv4 address[/mask]`);
  }
  const aliases: Record<string, string> = {
    '${dbsu}': ctx.users.dbsu,
    '${repl}': ctx.users.repl,
    '${monitor}': ctx.users.monitor,
    '${admin}': ctx.users.admin,
  };
  const rawUser = rule.user !== undefined && rule.user !== '' ? rule.user : 'all';
  const user = oneField(Object.hasOwn(aliases, rawUser) ? (aliases[rawUser] as string) : rawUser, where, 'user');
  const db = oneField(rule.db !== undefined && rule.db !== '' ? rule.db : 'all', where, 'db');
  if (target === 'pgbouncer' && db === 'replication') throw new Error(`${where}: db replication is not allowed in pgbouncer rules`);
  const rawAuth = rule.auth !== undefined && (rule.auth as string) !== '' ? rule.auth : 'pwd';
  const auth = authMethod(rawAuth, target);
  if (auth === undefined) throw new Error(`${where}: unsupported auth "${rawAuth}", write the line in rules instead`);
  const hostType = addr === 'local' || addr === 'localhost' ? 'local' : ['ssl', 'ssl-md5', 'ssl-sha', 'cert'].includes(rawAuth) ? 'hostssl' : 'host';

  const head = `${mark}${pad(hostType, 8)} ${pad(db, 18)} ${pad(user, 18)}`;
  const line = (address: string) => `${head} ${pad(address, 18)} ${auth}`;
  const hostHead = `${mark}host     ${pad(db, 18)} ${pad(user, 18)}`;
  switch (addr) {
    case 'local':
      return [title, `${mark}local    ${pad(db, 18)} ${pad(user, 18)}                    ${auth}`];
    case 'localhost':
      return [
        title,
        `${mark}local    ${pad(db, 18)} ${pad(user, 18)}                    ${auth}`,
        `${hostHead} ${pad('127.0.0.1/32', 18)} ${auth}`,
        `${hostHead} ${pad('::1/128', 18)} ${auth}`,
      ];
    case 'admin':
      return [title, line(`${ctx.admin_ip}/32`)];
    case 'infra':
      return [title, ...[...ctx.infra].sort().map((ip) => line(`${ip}/32`))];
    case 'cluster':
      return [title, ...ctx.cluster.map((ip) => line(`${ip}/32`))];
    case 'intra':
    case 'intranet':
      return [title, ...ctx.intranet.map(line)];
    case 'world':
    case 'all':
      return [title, line('0.0.0.0/0'), line('::/0')];
    default:
      return [title, line(addr)];
  }
}

/**
 * Render HBA rules (Pigsty's pg_hba_rules / pgb_hba_rules format) for one instance: sorted by order, aliases
 * resolved, rules meant for another role commented out. Throws on an invalid rule, naming it.
 */
export function renderHbaRules(rules: readonly HbaRule[], target: HbaTarget, ctx: HbaContext): string {
  const blocks = sortHbaRules(rules).map((rule, i) => renderRule(rule, target, ctx, i).join('\n'));
  return blocks.map((b) => `${b}\n`).join('\n');
}

/** The alias values of an instance, from its variables (pg_id must have run). */
export function hbaContext(v: RoleVars): HbaContext {
  return {
    pg_role: required(v, 'pg_role'),
    pg_offline_query: v.pg_offline_query,
    admin_ip: required(v, 'admin_ip'),
    infra: [...(v.groups.infra ?? [])].sort(),
    cluster: required(v, 'pg_cluster_members'),
    intranet: v.node_firewall_intranet,
    users: {
      dbsu: v.pg_dbsu,
      repl: v.pg_replication_username,
      monitor: v.pg_monitor_username,
      admin: v.pg_admin_username,
    },
  };
}

/**
 * A whole HBA file for one instance: a header naming the aliases, then the rendered rules. For PostgreSQL pass
 * pg_default_hba_rules + pg_hba_rules, for pgbouncer pgb_default_hba_rules + pgb_hba_rules.
 */
export function renderHbaFile(rules: readonly HbaRule[], target: HbaTarget, v: RoleVars): string {
  const ctx = hbaContext(v);
  const path = target === 'postgres' ? `${v.pg_data}/pg_hba.conf` : '/etc/pgbouncer/pgb_hba.conf';
  const port = target === 'postgres' ? v.pg_port : v.pgbouncer_port;
  const header = [
    `# ${path}: ${target === 'postgres' ? 'PostgreSQL' : 'pgbouncer'} access rules of ${required(v, 'pg_instance')} [${ctx.pg_role}] at ${v.inventory_hostname}:${port}`,
    '# Rendered by the pgsql role from the HBA rule variables: edits here are overwritten on the next run.',
    '',
    '# address aliases',
    `#   local     : ${v.pg_localhost}`,
    `#   admin     : ${ctx.admin_ip}`,
    `#   infra     : ${ctx.infra.join(', ')}`.trimEnd(),
    `#   intra     : ${ctx.intranet.join(', ')}`,
    `#   cluster   : ${ctx.cluster.join(', ')}`,
    '# user aliases',
    `#   dbsu      : ${ctx.users.dbsu}`,
    `#   repl      : ${ctx.users.repl}`,
    `#   monitor   : ${ctx.users.monitor}`,
    `#   admin     : ${ctx.users.admin}`,
    '',
  ].join('\n');
  return `${header}\n${renderHbaRules(rules, target, ctx)}`;
}

/** pg_hba.conf of this instance: pg_default_hba_rules then pg_hba_rules, by order. */
export const hbaContent = (v: RoleVars): string => renderHbaFile([...v.pg_default_hba_rules, ...v.pg_hba_rules], 'postgres', v);
