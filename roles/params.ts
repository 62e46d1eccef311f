import { Type, type Static, type StringOptions, type IntegerOptions, type TSchema } from '@sinclair/typebox';
import { Enum, notImplemented, schemaDefaults } from '../engine/schema.ts';
import { SYSCTL_KEY } from '../modules/sysctl.ts';
import {
  PG_DEFAULT_EXTENSIONS,
  PG_DEFAULT_HBA_RULES,
  PG_DEFAULT_PRIVILEGES,
  PG_DEFAULT_ROLES,
  PG_DEFAULT_SERVICES,
  PGB_DEFAULT_HBA_RULES,
  PGBACKREST_REPO,
} from './pgsql/defaults.ts';
import { PG_RTO_PLAN } from './pgsql/rto.ts';

// Every schema here is plain JSON Schema (TypeBox adds only symbol keys), so ajv validates it as is.
// Objects leave additionalProperties open: Pigsty ignores keys it does not know, and so do we.
// A `description` on a schema is the phrase validation prints as "expected ...", so it is worded that way.
// A parameter Pigsty v4.0 declares but no role or playbook here reads yet is wrapped in notImplemented(role, schema,
// Pigsty's default): validation warns when an inventory or -e sets it to anything else, since it has no effect.
// test/unit/inert-params.test.ts keeps the marks honest by searching the source for each name.

declare const HAS_DEFAULT: unique symbol;
/** A parameter schema that declares its default: roles read the parameter as always present. */
type Defaulted<T extends TSchema> = T & { readonly [HAS_DEFAULT]: true };
/**
 * `schema` with Pigsty's default for the parameter, the one place that default is written. The engine applies it
 * below every other layer (schemaDefaults), so a role reads `v.name`, never `v.name ?? value`.
 */
const def = <T extends TSchema>(schema: T, value: Static<T>): Defaulted<T> => ({ ...schema, default: value }) as Defaulted<T>;

const IPV4 = '(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4_EXACT = new RegExp(`^${IPV4}$`);
/** Whether a string is a dotted IPv4 address (each part 0-255, no leading zeros), as the schema's patterns read one. */
export const isIpv4 = (text: string): boolean => IPV4_EXACT.test(text);
const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME_EXACT = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
/**
 * Whether a string is an IPv4 address or a DNS host name (dot-separated labels of letters, digits and -, RFC 1123),
 * which a URL or a command line takes as is: no space, quote, $ or backslash in it. Digits and dots alone must be an address.
 */
export const isHostAddress = (text: string): boolean => isIpv4(text) || (HOST_NAME_EXACT.test(text) && !/^[0-9.]+$/.test(text));

/**
 * Values land in config files and shell commands line by line, so a string parameter is one line: a newline (or any
 * control character) would start a line of its own in pg_hba.conf, database.txt, patroni.yml or a script. C1 controls
 * (U+0080-U+009F, NEL among them) and U+2028/U+2029 are refused too: YAML 1.1 readers (PyYAML for Patroni, Go YAML
 * for vip-manager and etcd) break lines there. The few free-text fields that go only through SQL quoting (comments)
 * are Text() instead.
 */
const LINE_BREAKING = '\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029';
export const SINGLE_LINE = `^[^${LINE_BREAKING}]*$`;
const SINGLE_LINE_TEXT = 'a single line without control characters';
/** `pattern` (searched, as JSON Schema does) on a value that is also one line. */
export const singleLine = (pattern: string): string => `^(?=[^${LINE_BREAKING}]*$)[\\s\\S]*?(?:${pattern})`;
/**
 * A string parameter: always one line (SINGLE_LINE), and, with `pattern`, matching that too. Both are one regular
 * expression (a lookahead for the line rule, then the pattern searched as JSON Schema searches it), so a value
 * breaking either gives one error whose expected text is the `description` the pattern comes with.
 */
const Str = (options: StringOptions & ({ pattern?: undefined } | { pattern: string; description: string }) = {}) =>
  options.pattern === undefined
    ? Type.String({ ...options, pattern: SINGLE_LINE, description: options.description ?? SINGLE_LINE_TEXT })
    : Type.String({ ...options, pattern: singleLine(options.pattern) });
/** Free text that only ever reaches the server as a quoted SQL literal (comments): may span lines. */
const Text = () => Type.String();
/** A map key: the key's own use decides its form. */
const Key = () => Type.String();
/** A name of PostgreSQL's role names form, as the pgsql role creates them. */
export const ROLE_NAME = '[a-z_][a-z0-9_]{0,62}';
const RoleName = () => Str({ pattern: `^${ROLE_NAME}$`, description: 'a role name of lowercase letters, digits and _ (at most 63)' });
/** A database name: a word of letters, digits, _ and - (pgbouncer's database.txt and pg_hba.conf take it unquoted). */
export const DB_NAME = '[A-Za-z_][A-Za-z0-9_-]{0,62}';
const DbName = () =>
  Str({ pattern: `^${DB_NAME}$`, description: 'a database name of letters, digits, _ and - (at most 63, not starting with a digit or -)' });
/** An optional reference to a role or a database: empty means none. */
const OptionalName = (name: string, what: string) => Str({ pattern: `^(?:${name})?$`, description: `empty or ${what}` });
/** One whitespace-separated field of an HBA line: no spaces, no # (a comment), no control characters. */
export const HBA_FIELD = `^[^\\s#${LINE_BREAKING}]+$`;
const HbaField = () =>
  Str({ pattern: HBA_FIELD, description: 'one HBA field: no spaces, # or control characters, e.g. all, +dbrole_readonly, ${dbsu}' });
/** A word: no whitespace or control characters (paths, hosts, names that reach a command line). */
export const WORD = `^[^\\s${LINE_BREAKING}]*$`;
const Word = () => Str({ pattern: WORD, description: 'a word without spaces or control characters' });
/** Trees of the system itself, where no data directory belongs. */
const SYSTEM_TREES = '(?:etc|usr|bin|sbin|lib[^/]*|boot|dev|proc|sys|run)';
/** System directories that hold data directories but are none themselves. */
const SYSTEM_DIRS = '(?:var|var/tmp|tmp|root|home)';
/**
 * A directory a role owns, chowns, chmods and may wipe (a *_clean): an absolute path of plain characters without
 * `.`, `..` or empty segments (a path that leads elsewhere than it reads), outside the system's trees and not a
 * system directory itself, whose owner and mode the role would otherwise change.
 */
const DataDir = () =>
  Str({
    pattern: `^(?!.*//)(?!.*/\\.\\.?(?:/|$))(?!/${SYSTEM_TREES}(?:/|$))(?!/${SYSTEM_DIRS}/?$)/[A-Za-z0-9_./-]+$`,
    description:
      'an absolute path of letters, digits and _ . / - without . or .. segments, neither /, /var, /var/tmp, /tmp, /root nor /home, and not in /etc, /usr, /bin, /sbin, /lib*, /boot, /dev, /proc, /sys or /run',
  });
const Bool = () => Type.Boolean();
const Int = (options?: IntegerOptions) => Type.Integer(options);
const Count = () => Type.Integer({ minimum: 0 });
const Port = () => Type.Integer({ minimum: 1, maximum: 65535 });
const Ratio = () => Type.Number({ minimum: 0, maximum: 1 });
/** A Prometheus duration such as 10s, as scrape intervals and rule intervals read it. */
const Duration = () => Str({ pattern: '^[0-9]+(ms|s|m|h)$', description: 'a duration such as 10s, 500ms or 1m' });
/**
 * A map whose keys reach a file or a command line: every key must match `pattern` (described as `keys`), since the
 * schema's value checks say nothing about keys and a key with a newline or `;` would add a line or a command.
 */
const NamedMap = <T extends TSchema>(pattern: string, keys: string, value: T) =>
  Type.Record(Type.String({ pattern: singleLine(pattern) }), value, { additionalProperties: false, description: `a mapping whose keys are ${keys}` });
/** A PostgreSQL parameter name (GUC), optionally dotted for an extension's: what postgresql.auto.conf and ALTER ... SET take. */
export const GUC_NAME = '^[A-Za-z_][A-Za-z0-9_$]*(?:\\.[A-Za-z_][A-Za-z0-9_$]*)*$';
const ParamMap = () => NamedMap(GUC_NAME, 'PostgreSQL parameter names', Scalar());
/** A pgBackRest option as pgbackrest_repo writes it (repo1-<key>, _ becoming -). */
export const PGBACKREST_OPTION = '^[a-z0-9][a-z0-9_-]*$';
const StrList = () => Type.Array(Str());
const StrMap = () => Type.Record(Key(), Str());
const Scalar = () => Type.Union([Str(), Type.Number(), Type.Boolean()]);
const ScalarMap = () => Type.Record(Key(), Scalar());
const IntOrStr = () => Type.Union([Type.Integer(), Str()]);

/** A dnsmasq hosts line: an address (or ${admin_ip}, Pigsty's placeholder) and the names it answers for. */
const DnsRecord = () =>
  Str({
    pattern: `^(?:\\$\\{admin_ip\\}|${IPV4})(?: +${HOST_LABEL}(?:\\.${HOST_LABEL})*)+$`,
    description: 'an IPv4 address or ${admin_ip}, then host names, separated by spaces (e.g. "${admin_ip} i.pigsty")',
  });
const Ipv4 = () => Str({ pattern: `^${IPV4}$`, description: 'an IPv4 address' });
const Ipv4Cidr = () => Str({ pattern: `^${IPV4}/(?:[0-9]|[12][0-9]|3[0-2])$`, description: 'an IPv4 address with a /mask, e.g. 10.10.10.2/24' });

export const PG_ROLES = ['primary', 'replica', 'standby', 'offline', 'delayed'] as const;
export type PgRole = (typeof PG_ROLES)[number];

const PoolMode = () => Enum(['transaction', 'session', 'statement']);
const ObjectState = () => Enum(['create', 'absent']);

//------------------------------------------------------------------ object shapes

const PgRoleMembership = Type.Union([
  Str(),
  Type.Object({
    name: Str(),
    state: Type.Optional(Enum(['grant', 'revoke', 'absent'])),
    admin: Type.Optional(Bool()),
    set: Type.Optional(Bool()),
    inherit: Type.Optional(Bool()),
  }),
]);

/** One entry of pg_users / pg_default_roles. */
export const PgUser = Type.Object({
  name: RoleName(),
  state: Type.Optional(ObjectState()),
  password: Type.Optional(Str()),
  login: Type.Optional(Bool()),
  superuser: Type.Optional(Bool()),
  createdb: Type.Optional(Bool()),
  createrole: Type.Optional(Bool()),
  inherit: Type.Optional(Bool()),
  replication: Type.Optional(Bool()),
  bypassrls: Type.Optional(Bool()),
  pgbouncer: Type.Optional(Bool()),
  connlimit: Type.Optional(Int({ minimum: -1 })),
  expire_in: Type.Optional(Int()),
  expire_at: Type.Optional(Str({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9:.+-]+)?$', description: 'a date YYYY-MM-DD' })),
  comment: Type.Optional(Text()),
  roles: Type.Optional(Type.Array(PgRoleMembership)),
  parameters: Type.Optional(ParamMap()),
  pool_mode: Type.Optional(PoolMode()),
  pool_connlimit: Type.Optional(Int({ minimum: -1 })),
});
export type PgUser = Static<typeof PgUser>;

const PgSchemaItem = Type.Union([Str(), Type.Object({ name: Str(), owner: Type.Optional(Str()), state: Type.Optional(ObjectState()) })]);

export const PgExtensionItem = Type.Union([
  Str(),
  Type.Object({
    name: Str(),
    schema: Type.Optional(Str()),
    version: Type.Optional(IntOrStr()),
    state: Type.Optional(ObjectState()),
  }),
]);

export type PgExtensionItem = Static<typeof PgExtensionItem>;

/** One entry of pg_databases. */
export const PgDatabase = Type.Object({
  name: DbName(),
  state: Type.Optional(Enum(['create', 'absent', 'recreate'])),
  baseline: Type.Optional(Str()),
  pgbouncer: Type.Optional(Bool()),
  schemas: Type.Optional(Type.Array(PgSchemaItem)),
  extensions: Type.Optional(Type.Array(PgExtensionItem)),
  comment: Type.Optional(Text()),
  owner: Type.Optional(OptionalName(ROLE_NAME, 'a role name')),
  template: Type.Optional(OptionalName(DB_NAME, 'a database name')),
  strategy: Type.Optional(Enum(['FILE_COPY', 'WAL_LOG'])),
  encoding: Type.Optional(Str()),
  locale: Type.Optional(Str()),
  lc_collate: Type.Optional(Str()),
  lc_ctype: Type.Optional(Str()),
  locale_provider: Type.Optional(Enum(['libc', 'icu', 'builtin'])),
  icu_locale: Type.Optional(Str()),
  icu_rules: Type.Optional(Str()),
  builtin_locale: Type.Optional(Str()),
  tablespace: Type.Optional(Str()),
  is_template: Type.Optional(Bool()),
  allowconn: Type.Optional(Bool()),
  revokeconn: Type.Optional(Bool()),
  register_datasource: Type.Optional(Bool()),
  connlimit: Type.Optional(Int({ minimum: -1 })),
  parameters: Type.Optional(ParamMap()),
  pool_auth_user: Type.Optional(RoleName()),
  pool_mode: Type.Optional(PoolMode()),
  pool_size: Type.Optional(Count()),
  pool_size_min: Type.Optional(Count()),
  pool_reserve: Type.Optional(Count()),
  pool_connlimit: Type.Optional(Int({ minimum: -1 })),
});
export type PgDatabase = Static<typeof PgDatabase>;

/** The address aliases a rule's addr may name besides an IPv4 address with an optional /mask. */
export const HBA_ADDR_ALIASES = ['local', 'localhost', 'admin', 'infra', 'cluster', 'intra', 'intranet', 'world', 'all'] as const;
export const HBA_AUTH_METHODS = [
  'pwd',
  'ssl',
  'sha',
  'md5',
  'ssl-md5',
  'ssl-sha',
  'cert',
  'deny',
  'reject',
  'trust',
  'ident',
  'os',
  'peer',
  'scram-sha-256',
] as const;

/** One entry of pg_hba_rules / pgb_hba_rules and their defaults. */
export const HbaRule = Type.Object({
  user: Type.Optional(HbaField()),
  db: Type.Optional(HbaField()),
  addr: Type.Optional(
    Str({
      pattern: `^(?:${HBA_ADDR_ALIASES.join('|')}|${IPV4}(?:/(?:[0-9]|[12][0-9]|3[0-2]))?)$`,
      description: `one of ${HBA_ADDR_ALIASES.join(', ')} or an IPv4 address[/mask]`,
    }),
  ),
  auth: Type.Optional(Enum(HBA_AUTH_METHODS)),
  title: Type.Optional(Str()),
  order: Type.Optional(Int()),
  role: Type.Optional(Enum(['default', 'common', ...PG_ROLES])),
  rules: Type.Optional(StrList()),
});
export type HbaRule = Static<typeof HbaRule>;

/** One entry of pg_services / pg_default_services. */
export const PgService = Type.Object({
  name: Str({ minLength: 1 }),
  port: Port(),
  ip: Type.Optional(Str()),
  selector: Type.Optional(Str()),
  backup: Type.Optional(Str()),
  dest: Type.Optional(Type.Union([Enum(['default', 'postgres', 'pgbouncer']), Port()])),
  check: Type.Optional(Str()),
  maxconn: Type.Optional(Count()),
  balance: Type.Optional(Str()),
  options: Type.Optional(Str()),
});
export type PgService = Static<typeof PgService>;

/** One entry of haproxy_services. */
export const HaproxyService = Type.Object({
  name: Str({ minLength: 1 }),
  port: Port(),
  ip: Type.Optional(Str()),
  protocol: Type.Optional(Enum(['tcp', 'http'])),
  maxconn: Type.Optional(Count()),
  balance: Type.Optional(Str()),
  options: Type.Optional(StrList()),
  default: Type.Optional(Str()),
  servers: Type.Array(
    Type.Object({
      name: Str(),
      ip: Str(),
      port: Port(),
      backup: Type.Optional(Bool()),
      weight: Type.Optional(Int({ minimum: 0, maximum: 255 })),
      options: Type.Optional(Str()),
    }),
  ),
});
export type HaproxyService = Static<typeof HaproxyService>;

/** One value of juice_instances (keyed by filesystem name). */
export const JuiceInstance = Type.Object({
  path: Str({ minLength: 1 }),
  meta: Str({ minLength: 1 }),
  data: Type.Optional(Str()),
  unit: Type.Optional(Str()),
  mount: Type.Optional(Str()),
  port: Type.Optional(Port()),
  owner: Type.Optional(Str()),
  group: Type.Optional(Str()),
  mode: Type.Optional(Str({ pattern: '^0?[0-7]{3,4}$', description: 'an octal file mode string such as 0755' })),
  state: Type.Optional(ObjectState()),
});
export type JuiceInstance = Static<typeof JuiceInstance>;

const RepoUpstream = Type.Object({
  name: Str(),
  description: Type.Optional(Str()),
  module: Str(),
  releases: Type.Array(Int()),
  arch: Type.Array(Enum(['x86_64', 'aarch64'])),
  baseurl: StrMap(),
  meta: Type.Optional(ScalarMap()),
});

const PortalEntry = Type.Object({
  domain: Type.Optional(Str()),
  endpoint: Type.Optional(Str()),
  path: Type.Optional(Str()),
  conf: Type.Optional(Str()),
  scheme: Type.Optional(Enum(['http', 'https'])),
  websocket: Type.Optional(Bool()),
  auth: Type.Optional(Bool()),
  cert: Type.Optional(Str()),
  key: Type.Optional(Str()),
  certbot: Type.Optional(Str()),
  enforce_https: Type.Optional(Bool()),
});

const HomeLink = Type.Object({ name: Str(), url: Str(), desc: Type.Optional(Str()), icon: Type.Optional(Str()) });

// The RTO plan row: five Patroni timings in seconds, then five HAProxy check settings.
const RtoPlanRow = Type.Tuple([Int(), Int(), Int(), Int(), Int(), Str(), Str(), Str(), Int(), Int()]);

/** A libpq connection URI as the exporters take it: no spaces, quotes or backslashes (percent-encode them). */
const PgUrl = () =>
  Str({
    pattern: `^(?:postgres(?:ql)?://(?:[^\\s'"\\\\%${LINE_BREAKING}]|%[0-9A-Fa-f]{2})*)?$`,
    description: 'empty or a postgres:// URI with no spaces, quotes or backslashes, and % only in %XX escapes (percent-encode them)',
  });
/** A comma-separated list of database names, as postgres_exporter's --exclude-databases and --include-databases take it. */
const DbNameList = () => Str({ pattern: `^(?:${DB_NAME}(?:,${DB_NAME})*)?$`, description: 'empty or database names separated by commas' });

/** URI parameters libpq takes after the exporters' URL, such as sslmode=disable. */
const PgUriParams = () =>
  Str({
    pattern: '^(?:[a-z_]+=[A-Za-z0-9_.%/:-]*(?:&[a-z_]+=[A-Za-z0-9_.%/:-]*)*)?$',
    description: 'empty or URI parameters such as sslmode=disable&application_name=pg_exporter',
  });

/**
 * A remote PostgreSQL that pgsql-monitor.ts watches from the infra node (pg_exporters, keyed by the exporter's local
 * port); each optional field overrides the parameter of the same name for this entry only.
 */
const RemotePg = Type.Object(
  {
    pg_cluster: Str({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'a cluster name of lowercase letters, digits and -' }),
    pg_seq: Count(),
    pg_host: Str({ pattern: `^(?:${IPV4}|(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*)$`, description: 'an IPv4 address or a host name' }),
    pg_port: Type.Optional(Port()),
    pg_dbsu: Type.Optional(Str()),
    pg_databases: Type.Optional(Type.Array(Type.Object({ name: Str() }))),
    pg_monitor_username: Type.Optional(RoleName()),
    pg_monitor_password: Type.Optional(Str()),
    pg_exporter_url: Type.Optional(PgUrl()),
    pg_exporter_params: Type.Optional(PgUriParams()),
    pg_exporter_config: Type.Optional(Enum(['pg_exporter.yml'])),
    pg_exporter_cache_ttls: Type.Optional(Str()),
    pg_exporter_auto_discovery: Type.Optional(Bool()),
    pg_exporter_include_database: Type.Optional(DbNameList()),
    pg_exporter_exclude_database: Type.Optional(DbNameList()),
    pg_exporter_connect_timeout: Type.Optional(Count()),
  },
  { additionalProperties: false },
);
export type RemotePgEntry = Static<typeof RemotePg>;

//------------------------------------------------------------------ parameters by module

const NodeIdParams = {
  nodename: Str(),
  node_cluster: def(Str(), 'nodes'),
  nodename_overwrite: def(Bool(), true),
  nodename_exchange: def(Bool(), false),
  node_id_from_pg: def(Bool(), true),
};

const NodeParams = {
  node_write_etc_hosts: def(Bool(), true),
  node_default_etc_hosts: def(StrList(), ['${admin_ip} i.pigsty']),
  node_etc_hosts: def(StrList(), []),
  node_dns_method: def(Enum(['add', 'none', 'overwrite']), 'add'),
  node_dns_servers: def(StrList(), ['${admin_ip}']),
  node_dns_options: def(StrList(), ['options single-request-reopen timeout:1']),
  node_repo_modules: def(Str(), 'local'),
  node_repo_remove: def(Bool(), true),
  node_packages: def(StrList(), ['openssh-server']),
  node_default_packages: StrList(),
  node_uv_env: def(Str(), '/data/venv'),
  node_pip_packages: def(Str(), ''),
  node_selinux_mode: def(Enum(['disabled', 'permissive', 'enforcing']), 'permissive'),
  node_firewall_mode: def(Enum(['off', 'none', 'zone']), 'none'),
  node_firewall_intranet: def(StrList(), ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12']),
  node_firewall_public_port: def(Type.Array(Port()), [22, 80, 443, 5432]),
  node_disable_numa: def(Bool(), false),
  node_disable_swap: def(Bool(), false),
  node_static_network: def(Bool(), true),
  node_disk_prefetch: def(Bool(), false),
  node_kernel_modules: def(Type.Array(Str({ pattern: '^[A-Za-z0-9_-]+$', description: 'a kernel module name' })), [
    'softdog',
    'ip_vs',
    'ip_vs_rr',
    'ip_vs_wrr',
    'ip_vs_sh',
  ]),
  node_hugepage_count: def(Count(), 0),
  node_hugepage_ratio: def(Ratio(), 0),
  node_overcommit_ratio: def(Type.Number({ minimum: 0 }), 0),
  node_tune: def(Enum(['oltp', 'olap', 'tiny', 'crit', 'none']), 'oltp'),
  node_sysctl_params: def(NamedMap(SYSCTL_KEY, 'sysctl keys such as vm.swappiness', Type.Union([Str(), Type.Number()])), {}),
  node_data: def(Word(), '/data'),
  node_admin_enabled: def(Bool(), true),
  node_admin_uid: def(Count(), 88),
  node_admin_username: def(Str({ pattern: '^[a-z_][a-z0-9_-]*$', description: 'a user name of lowercase letters, digits, _ and -' }), 'dba'),
  node_admin_sudo: def(Enum(['all', 'nopass', 'limit']), 'nopass'),
  node_admin_ssh_exchange: def(Bool(), true),
  node_admin_pk_current: def(Bool(), true),
  node_admin_pk_list: def(StrList(), []),
  node_aliases: def(NamedMap('^[A-Za-z0-9_][A-Za-z0-9_.:+@%-]*$', 'alias names (letters, digits and _ . : + @ % -)', Str()), {}),
  node_timezone: def(Str(), ''),
  node_ntp_enabled: def(Bool(), true),
  node_ntp_servers: def(StrList(), ['pool pool.ntp.org iburst']),
  node_crontab_overwrite: def(Bool(), true),
  node_crontab: def(StrList(), []),
};

const VipParams = {
  vip_enabled: def(Bool(), false),
  vip_address: Ipv4(),
  vip_vrid: Int({ minimum: 1, maximum: 254 }),
  vip_role: def(Enum(['master', 'backup']), 'backup'),
  vip_preempt: def(Bool(), false),
  vip_interface: def(Word(), 'eth0'),
  vip_dns_suffix: notImplemented('node_monitor', Str(), ''),
  vip_auth_pass: def(Str(), ''),
  vip_exporter_port: notImplemented('node_monitor', Port(), 9650),
};

const NodeMonitorParams = {
  node_exporter_enabled: def(Bool(), true),
  node_exporter_port: def(Port(), 9100),
  node_exporter_options: def(Str(), '--no-collector.softnet --no-collector.nvme --collector.tcpstat --collector.processes'),
  vector_enabled: notImplemented('node_monitor', Bool(), true),
  vector_clean: notImplemented('node_monitor', Bool(), false),
  vector_data: notImplemented('node_monitor', Str(), '/data/vector'),
  vector_port: notImplemented('node_monitor', Port(), 9598),
  vector_read_from: notImplemented('node_monitor', Enum(['beginning', 'end']), 'beginning'),
  vector_log_endpoint: notImplemented('node_monitor', StrList(), ['infra']),
};

const HaproxyParams = {
  haproxy_enabled: def(Bool(), true),
  haproxy_clean: def(Bool(), false),
  haproxy_reload: def(Bool(), true),
  haproxy_auth_enabled: notImplemented('haproxy', Bool(), true),
  haproxy_admin_username: def(Str(), 'admin'),
  haproxy_admin_password: def(Str(), 'pigsty'),
  haproxy_exporter_port: def(Port(), 9101),
  haproxy_client_timeout: def(Str(), '24h'),
  haproxy_server_timeout: def(Str(), '24h'),
  haproxy_services: def(Type.Array(HaproxyService), []),
};

const InfraParams = {
  version: notImplemented('infra', Str(), 'v4.0.0'),
  admin_ip: Ipv4(),
  region: def(Str(), 'default'),
  language: notImplemented('infra', Enum(['en', 'zh']), 'en'),
  proxy_env: notImplemented('node', StrMap(), {
    no_proxy: 'localhost,127.0.0.1,10.0.0.0/8,192.168.0.0/16,*.pigsty,*.aliyun.com,mirrors.*,*.myqcloud.com,*.tsinghua.edu.cn',
  }),
  ca_create: def(Bool(), true),
  ca_cn: def(Str(), 'pigsty-ca'),
  cert_validity: def(Str({ pattern: '^[0-9]+d$', description: 'a number of days such as 7300d' }), '7300d'),
  infra_seq: Count(),
  infra_portal: notImplemented('infra', Type.Record(Key(), PortalEntry), { home: { domain: 'i.pigsty' } }),
  infra_data: def(DataDir(), '/data/infra'),
  infra_services: notImplemented('infra', Type.Array(HomeLink)),
  infra_extra_services: notImplemented('infra', Type.Array(HomeLink), []),
  infra_packages: notImplemented('infra', StrList()),
  repo_enabled: notImplemented('repo', Bool(), true),
  repo_home: notImplemented('repo', Str(), '/www'),
  repo_name: notImplemented('repo', Str(), 'pigsty'),
  repo_endpoint: notImplemented('repo', Str(), 'http://${admin_ip}:80'),
  repo_remove: notImplemented('repo', Bool(), true),
  repo_modules: notImplemented('repo', Str(), 'infra,node,pgsql'),
  repo_upstream: Type.Array(RepoUpstream),
  repo_packages: notImplemented('repo', StrList()),
  repo_extra_packages: notImplemented('repo', StrList()),
  repo_url_packages: notImplemented('repo', Type.Array(Type.Union([Str(), ScalarMap()])), []),
  nginx_enabled: notImplemented('infra', Bool(), true),
  nginx_clean: notImplemented('infra', Bool(), false),
  nginx_exporter_enabled: notImplemented('infra', Bool(), true),
  nginx_exporter_port: notImplemented('infra', Port(), 9113),
  nginx_sslmode: notImplemented('infra', Enum(['disable', 'enable', 'enforce']), 'enable'),
  nginx_cert_validity: notImplemented('infra', Str({ pattern: '^[0-9]+d$', description: 'a number of days such as 397d' }), '397d'),
  nginx_home: notImplemented('infra', Str(), '/www'),
  nginx_data: notImplemented('infra', Str(), '/data/nginx'),
  nginx_users: notImplemented('infra', StrMap(), {}),
  nginx_port: notImplemented('infra', Port(), 80),
  nginx_ssl_port: notImplemented('infra', Port(), 443),
  certbot_sign: notImplemented('infra', Bool(), false),
  certbot_email: notImplemented('infra', Str(), 'your@email.com'),
  certbot_options: notImplemented('infra', Str(), ''),
  dns_enabled: def(Bool(), true),
  dns_port: def(Port(), 53),
  dns_records: def(Type.Array(DnsRecord()), ['${admin_ip} i.pigsty', '${admin_ip} m.pigsty supa.pigsty api.pigsty adm.pigsty cli.pigsty ddl.pigsty']),
  vmetrics_enabled: def(Bool(), true),
  vmetrics_clean: def(Bool(), false),
  vmetrics_port: def(Port(), 8428),
  vmetrics_scrape_interval: def(Duration(), '10s'),
  vmetrics_scrape_timeout: def(Duration(), '8s'),
  vmetrics_options: def(Str(), '-retentionPeriod=15d -promscrape.fileSDCheckInterval=5s'),
  vlogs_enabled: notImplemented('infra', Bool(), true),
  vlogs_clean: notImplemented('infra', Bool(), false),
  vlogs_port: notImplemented('infra', Port(), 9428),
  vlogs_options: notImplemented(
    'infra',
    Str(),
    '-retentionPeriod=15d -retention.maxDiskSpaceUsageBytes=50GiB -insert.maxLineSizeBytes=1MB -search.maxQueryDuration=120s',
  ),
  vtraces_enabled: notImplemented('infra', Bool(), true),
  vtraces_clean: notImplemented('infra', Bool(), false),
  vtraces_port: notImplemented('infra', Port(), 10428),
  vtraces_options: notImplemented('infra', Str(), '-retentionPeriod=15d -retention.maxDiskSpaceUsageBytes=50GiB'),
  vmalert_enabled: def(Bool(), true),
  vmalert_port: def(Port(), 8880),
  vmalert_options: def(Str(), ''),
  blackbox_enabled: def(Bool(), true),
  blackbox_port: def(Port(), 9115),
  blackbox_options: def(Str(), ''),
  alertmanager_enabled: def(Bool(), true),
  alertmanager_port: def(Port(), 9059),
  alertmanager_options: def(Str(), ''),
  exporter_metrics_path: def(Str({ pattern: '^/[A-Za-z0-9_./-]*$', description: 'an absolute URL path such as /metrics' }), '/metrics'),
  grafana_enabled: notImplemented('infra', Bool(), true),
  grafana_port: notImplemented('infra', Port(), 3000),
  grafana_clean: notImplemented('infra', Bool(), false),
  grafana_admin_username: notImplemented('infra', Str(), 'admin'),
  grafana_admin_password: notImplemented('infra', Str(), 'pigsty'),
  grafana_auth_proxy: notImplemented('infra', Bool(), false),
  grafana_pgurl: notImplemented('infra', Str(), ''),
  grafana_view_password: notImplemented('infra', Str(), 'DBUser.Viewer'),
};

const EtcdParams = {
  etcd_seq: Count(),
  etcd_cluster: def(Str({ minLength: 1 }), 'etcd'),
  etcd_learner: def(Bool(), false),
  etcd_data: def(Str(), '/data/etcd'),
  etcd_port: def(Port(), 2379),
  etcd_peer_port: def(Port(), 2380),
  etcd_init: def(Enum(['new', 'existing']), 'new'),
  etcd_election_timeout: def(Count(), 1000),
  etcd_heartbeat_interval: def(Count(), 100),
  etcd_root_password: def(Str(), 'Etcd.Root'),
  etcd_safeguard: notImplemented('etcd_remove', Bool(), false),
  etcd_rm_data: notImplemented('etcd_remove', Bool(), true),
  etcd_rm_pkg: notImplemented('etcd_remove', Bool(), false),
};

const MinioParams = {
  minio_seq: Count(),
  minio_cluster: Str(),
  minio_user: notImplemented('minio', Str(), 'minio'),
  minio_https: notImplemented('minio', Bool(), true),
  minio_node: notImplemented('minio', Str(), '${minio_cluster}-${minio_seq}.pigsty'),
  minio_data: notImplemented('minio', Str(), '/data/minio'),
  minio_volumes: notImplemented('minio', Str()),
  minio_domain: notImplemented('minio', Str(), 'sss.pigsty'),
  minio_port: notImplemented('minio', Port(), 9000),
  minio_admin_port: notImplemented('minio', Port(), 9001),
  minio_access_key: notImplemented('minio', Str(), 'minioadmin'),
  minio_secret_key: notImplemented('minio', Str(), 'S3User.MinIO'),
  minio_extra_vars: notImplemented('minio', Str(), ''),
  minio_provision: notImplemented('minio', Bool(), true),
  minio_alias: notImplemented('minio', Str(), 'sss'),
  minio_endpoint: notImplemented('minio', Str()),
  minio_buckets: notImplemented(
    'minio',
    Type.Array(Type.Object({ name: Str({ minLength: 1 }), versioning: Type.Optional(Bool()), lock: Type.Optional(Bool()) })),
    [{ name: 'pgsql' }, { name: 'meta', versioning: true }, { name: 'data' }],
  ),
  minio_users: notImplemented('minio', Type.Array(Type.Object({ access_key: Str({ minLength: 1 }), secret_key: Str(), policy: Str() })), [
    { access_key: 'pgbackrest', secret_key: 'S3User.Backup', policy: 'pgsql' },
    { access_key: 's3user_meta', secret_key: 'S3User.Meta', policy: 'meta' },
    { access_key: 's3user_data', secret_key: 'S3User.Data', policy: 'data' },
  ]),
  minio_safeguard: notImplemented('minio_remove', Bool(), false),
  minio_rm_data: notImplemented('minio_remove', Bool(), true),
  minio_rm_pkg: notImplemented('minio_remove', Bool(), false),
};

const PgIdParams = {
  pg_cluster: Str({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'a cluster name of letters, digits, _ . and -, e.g. pg-test' }),
  pg_seq: Count(),
  pg_role: Enum(PG_ROLES),
  pg_upstream: Str(),
  pg_shard: Str(),
  pg_group: Count(),
  pg_mode: def(Enum(['pgsql', 'citus', 'gpsql', 'mssql', 'mysql', 'ivory', 'polar', 'oracle', 'oriole', 'agens', 'pgtde', 'pgedge']), 'pgsql'),
  pg_offline_query: def(Bool(), false),
  pg_weight: def(Int({ minimum: 0, maximum: 255 }), 100),
};

const PgBusinessParams = {
  pg_users: def(Type.Array(PgUser), []),
  pg_databases: def(Type.Array(PgDatabase), []),
  pg_services: def(Type.Array(PgService), []),
  pg_hba_rules: def(Type.Array(HbaRule), []),
  pgb_hba_rules: def(Type.Array(HbaRule), []),
  pg_crontab: def(StrList(), []),
  pg_dbsu_password: def(Str(), ''),
  pg_replication_username: def(RoleName(), 'replicator'),
  pg_replication_password: def(Str(), 'DBUser.Replicator'),
  pg_admin_username: def(RoleName(), 'dbuser_dba'),
  pg_admin_password: def(Str(), 'DBUser.DBA'),
  pg_monitor_username: def(RoleName(), 'dbuser_monitor'),
  pg_monitor_password: def(Str(), 'DBUser.Monitor'),
};

const PgInstallParams = {
  pg_dbsu: def(RoleName(), 'postgres'),
  pg_dbsu_uid: def(Count(), 26),
  pg_dbsu_sudo: def(Enum(['none', 'limit', 'all', 'nopass']), 'limit'),
  pg_dbsu_home: def(Word(), '/var/lib/pgsql'),
  pg_dbsu_ssh_exchange: def(Bool(), true),
  pg_version: def(Int({ minimum: 10, maximum: 99 }), 18),
  pg_bin_dir: def(Word(), '/usr/pgsql/bin'),
  pg_log_dir: def(Word(), '/pg/log/postgres'),
  pg_packages: def(StrList(), ['pgsql-main pgsql-common']),
  pg_extensions: def(StrList(), []),
};

const PgBootstrapParams = {
  pg_data: def(Word(), '/pg/data'),
  pg_fs_main: def(Word(), '/data/postgres'),
  pg_fs_backup: def(Word(), '/data/backups'),
  pg_storage_type: def(Enum(['SSD', 'HDD']), 'SSD'),
  pg_dummy_filesize: def(Str(), '64MiB'),
  pg_listen: def(Word(), '0.0.0.0'),
  pg_port: def(Port(), 5432),
  pg_localhost: def(Word(), '/var/run/postgresql'),
  patroni_enabled: def(Bool(), true),
  patroni_mode: def(Enum(['default', 'pause', 'remove']), 'default'),
  pg_namespace: def(Str({ pattern: '^/', description: 'an absolute etcd key prefix on one line, such as /pg' }), '/pg'),
  patroni_port: def(Port(), 8008),
  patroni_log_dir: def(Word(), '/pg/log/patroni'),
  patroni_ssl_enabled: def(Bool(), false),
  // A YAML 1.1 reader turns a bare `off` into false, and Pigsty's own inventories write it bare.
  patroni_watchdog_mode: def(Type.Union([Enum(['off', 'automatic', 'required']), Type.Literal(false)]), 'off'),
  patroni_username: def(Str(), 'postgres'),
  patroni_password: def(Str(), 'Patroni.API'),
  pg_etcd_password: def(Str(), ''),
  pg_primary_db: def(Str(), 'postgres'),
  pg_parameters: def(ParamMap(), {}),
  pg_files: def(StrList(), []),
  pg_conf: def(Enum(['oltp.yml', 'olap.yml', 'tiny.yml', 'crit.yml']), 'oltp.yml'),
  pg_max_conn: def(Type.Union([Type.Literal('auto'), Int({ minimum: 1 })]), 'auto'),
  pg_shared_buffer_ratio: def(Ratio(), 0.25),
  pg_io_method: def(Enum(['auto', 'sync', 'worker', 'io_uring']), 'worker'),
  pg_rto: def(Enum(['fast', 'norm', 'safe', 'wide']), 'norm'),
  pg_rto_plan: def(NamedMap('^[A-Za-z0-9_-]+$', 'plan names of letters, digits, _ and -', RtoPlanRow), PG_RTO_PLAN),
  pg_rpo: def(Count(), 1048576),
  pg_libs: def(Str(), 'pg_stat_statements, auto_explain'),
  pg_delay: def(IntOrStr(), 0),
  pg_checksum: def(Bool(), true),
  pg_encoding: def(Str(), 'UTF8'),
  pg_locale: def(Str(), 'C'),
  pg_lc_collate: def(Str(), 'C'),
  pg_lc_ctype: def(Str(), 'C'),
  pgsodium_key: Str({ pattern: '^[0-9a-fA-F]{64}$', description: '64 hex digits' }),
  pgsodium_getkey_script: notImplemented('pgsql', Str(), 'pgsodium_getkey'),
};

const PgProvisionParams = {
  pg_provision: def(Bool(), true),
  pg_init: def(Str(), 'pg-init'),
  pg_default_roles: def(Type.Array(PgUser), PG_DEFAULT_ROLES),
  pg_default_privileges: def(StrList(), PG_DEFAULT_PRIVILEGES),
  pg_default_schemas: def(StrList(), ['monitor']),
  pg_default_extensions: def(Type.Array(PgExtensionItem), PG_DEFAULT_EXTENSIONS),
  pg_reload: def(Bool(), true),
  pg_default_hba_rules: def(Type.Array(HbaRule), PG_DEFAULT_HBA_RULES),
  pgb_default_hba_rules: def(Type.Array(HbaRule), PGB_DEFAULT_HBA_RULES),
};

const PgBackrestParams = {
  pgbackrest_enabled: def(Bool(), true),
  pgbackrest_log_dir: def(Word(), '/pg/log/pgbackrest'),
  pgbackrest_method: def(Str({ minLength: 1 }), 'local'),
  pgbackrest_init_backup: def(Bool(), true),
  pgbackrest_repo: def(
    NamedMap(
      '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
      'repository names',
      NamedMap(PGBACKREST_OPTION, 'pgBackRest option names of lowercase letters, digits, _ and - (repo1-<name> with _ as -)', Scalar()),
    ),
    PGBACKREST_REPO,
  ),
};

const PgbouncerParams = {
  pgbouncer_enabled: def(Bool(), true),
  pgbouncer_port: def(Port(), 6432),
  pgbouncer_log_dir: def(Word(), '/pg/log/pgbouncer'),
  pgbouncer_auth_query: def(Bool(), false),
  pgbouncer_poolmode: def(PoolMode(), 'transaction'),
  pgbouncer_sslmode: def(Enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']), 'disable'),
  pgbouncer_ignore_param: def(Type.Array(Str({ pattern: '^[A-Za-z_][A-Za-z0-9_.]*$', description: 'a parameter name' })), [
    'extra_float_digits',
    'application_name',
    'TimeZone',
    'DateStyle',
    'IntervalStyle',
    'search_path',
  ]),
  pgbouncer_redirect_to: Word(),
};

const PgAccessParams = {
  pg_service_provider: def(Str(), ''),
  pg_default_service_dest: def(Enum(['pgbouncer', 'postgres']), 'pgbouncer'),
  pg_default_services: def(Type.Array(PgService), PG_DEFAULT_SERVICES),
  pg_vip_enabled: def(Bool(), false),
  pg_vip_address: def(Ipv4Cidr(), '127.0.0.1/24'),
  pg_vip_interface: def(Word(), 'eth0'),
  pg_dns_suffix: def(Str({ pattern: `^(?:[.-]?${HOST_LABEL})*$`, description: 'empty or what ends a host name, such as .pigsty or -db' }), ''),
  pg_dns_target: def(
    Str({ pattern: `^(?:auto|primary|vip|none|${IPV4})$`, description: 'one of auto, primary, vip, none or an IPv4 address' }),
    'auto',
  ),
};

const PgMonitorParams = {
  pg_exporter_enabled: def(Bool(), true),
  pg_exporter_config: def(Enum(['pg_exporter.yml']), 'pg_exporter.yml'),
  pg_exporter_cache_ttls: notImplemented(
    'pg_monitor',
    Str({ pattern: '^[0-9]+(,[0-9]+)*$', description: 'comma separated seconds such as 1,10,60,300' }),
    '1,10,60,300',
  ),
  pg_exporter_port: def(Port(), 9630),
  pg_exporter_params: def(PgUriParams(), 'sslmode=disable'),
  pg_exporter_url: def(PgUrl(), ''),
  pg_exporter_auto_discovery: def(Bool(), true),
  pg_exporter_exclude_database: def(DbNameList(), 'template0,template1,postgres'),
  pg_exporter_include_database: def(DbNameList(), ''),
  pg_exporter_connect_timeout: def(Count(), 200),
  pg_exporter_options: def(Str(), ''),
  pgbouncer_exporter_enabled: def(Bool(), true),
  pgbouncer_exporter_port: def(Port(), 9631),
  pgbouncer_exporter_url: def(PgUrl(), ''),
  pgbouncer_exporter_options: def(Str(), ''),
  pgbackrest_exporter_enabled: def(Bool(), true),
  pgbackrest_exporter_port: notImplemented('pg_monitor', Port(), 9854),
  pgbackrest_exporter_options: notImplemented('pg_monitor', Str(), '--collect.interval=120 --log.level=info'),
  pg_exporters: def(
    NamedMap(
      '^(?:[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]|[2-9][0-9]{3}|1[1-9][0-9]{2}|10[3-9][0-9]|102[4-9])$',
      'the local ports of the exporters (1024-65535)',
      RemotePg,
    ),
    {},
  ),
};

const PgRemoveParams = {
  pg_safeguard: def(Bool(), false),
  pg_rm_data: def(Bool(), true),
  pg_rm_backup: def(Bool(), true),
  pg_rm_pkg: def(Bool(), true),
};

const JuiceParams = {
  juice_cache: notImplemented('juice', Str(), '/data/juice'),
  juice_instances: notImplemented('juice', Type.Record(Key(), JuiceInstance), {}),
};

const VibeParams = {
  vibe_data: notImplemented('vibe', Str(), '/fs'),
  code_enabled: notImplemented('vibe', Bool(), true),
  code_port: notImplemented('vibe', Port(), 8443),
  code_data: notImplemented('vibe', Str(), '/data/code'),
  code_password: notImplemented('vibe', Str(), 'Vibe.Coding'),
  code_gallery: notImplemented('vibe', Enum(['openvsx', 'microsoft']), 'openvsx'),
  jupyter_enabled: notImplemented('vibe', Bool(), true),
  jupyter_port: notImplemented('vibe', Port(), 8888),
  jupyter_data: notImplemented('vibe', Str(), '/data/jupyter'),
  jupyter_password: notImplemented('vibe', Str(), 'Vibe.Coding'),
  jupyter_venv: notImplemented('vibe', Str(), '/data/venv'),
  claude_enabled: notImplemented('vibe', Bool(), true),
  claude_env: notImplemented('vibe', StrMap(), {}),
  nodejs_enabled: notImplemented('vibe', Bool(), true),
  nodejs_registry: notImplemented('vibe', Str(), ''),
  npm_packages: notImplemented('vibe', StrList(), []),
};

const ALL_PARAMS = {
  ...NodeIdParams,
  ...NodeParams,
  ...VipParams,
  ...NodeMonitorParams,
  ...HaproxyParams,
  ...InfraParams,
  ...EtcdParams,
  ...MinioParams,
  ...PgIdParams,
  ...PgBusinessParams,
  ...PgInstallParams,
  ...PgBootstrapParams,
  ...PgProvisionParams,
  ...PgBackrestParams,
  ...PgbouncerParams,
  ...PgAccessParams,
  ...PgMonitorParams,
  ...PgRemoveParams,
  ...JuiceParams,
  ...VibeParams,
};
type AllParams = typeof ALL_PARAMS;
/** Every Pigsty parameter (read by the roles, or marked not implemented yet), all optional in an inventory; unknown keys pass. */
export const PigstyParams = Type.Partial(Type.Object(ALL_PARAMS));
/** Parameters as an inventory or -e may set them: every one optional. */
export type PigstyVars = Static<typeof PigstyParams>;
type DefaultedName = { [K in keyof AllParams]: AllParams[K] extends { readonly [HAS_DEFAULT]: true } ? K : never }[keyof AllParams];
/** Parameters as a role reads them: one declared with a default is always present (the engine applies it). */
export type ParamVars = PigstyVars & { [K in DefaultedName]-?: Static<AllParams[K]> };

/** Names of every declared parameter, sorted. */
export function knownParams(): string[] {
  return Object.keys(PigstyParams.properties).sort();
}

//------------------------------------------------------------------ facts and magic vars

/** Variables the engine supplies to every host, as Ansible does. */
export const MagicVars = Type.Object({
  inventory_hostname: Str(),
  group_names: StrList(),
  groups: Type.Record(Key(), StrList()),
});
export type MagicVars = Static<typeof MagicVars>;

/** Facts node_id sets: the remote probe, what derives from it, the OS vars file it loads, and the identity. */
export const NodeFacts = Type.Object({
  os_vendor: Str(),
  os_version_full: Str(),
  os_version: Int(),
  os_codename: Str(),
  os_arch: Enum(['x86_64', 'aarch64']),
  os_package: Enum(['rpm', 'deb']),
  node_user: Str(),
  node_hostname: Str(),
  node_cpu: Int(),
  node_pages: Int(),
  node_page_size: Int(),
  node_mem_bytes: Int(),
  node_mem_mb: Int(),
  node_mem_gb: Int(),
  node_os_code: Str(),
  systemd_dir: Str(),
  syslog_path: Str(),
  repo_packages_default: StrList(),
  repo_extra_packages_default: StrList(),
  node_packages_default: StrList(),
  infra_packages_default: StrList(),
  pg_home_map: StrMap(),
  repo_upstream_default: Type.Array(RepoUpstream),
  package_map: StrMap(),
  nodename: Str(),
  node_cluster: Str(),
});
export type NodeFacts = Static<typeof NodeFacts>;

/** Facts pg_id sets on a host with a PostgreSQL identity. */
export const PgFacts = Type.Object({
  pg_shard: Str(),
  pg_group: Int(),
  pg_instance: Str(),
  pg_service: Str(),
  pg_is_primary: Bool(),
  pg_cluster_size: Int(),
  pg_cluster_members: StrList(),
  pg_cluster_replicas: StrList(),
  pg_seq_next: Int(),
  pg_primary_list: StrList(),
  pg_primary_ip: Str(),
  pg_primary_seq: Type.Union([Int(), Type.Literal('unknown')]),
  pg_primary_ins: Str(),
});
export type PgFacts = Static<typeof PgFacts>;

/** What a role may read beyond parameters: magic vars always, identity facts once node_id / pg_id ran. */
export const PigstyFacts = Type.Composite([MagicVars, Type.Partial(NodeFacts), Type.Partial(PgFacts)]);
export type PigstyFacts = Static<typeof PigstyFacts>;

/** Every declared default as the engine applies it: what a host's parameters are when nothing else sets them. */
export const PARAM_DEFAULTS = schemaDefaults(PigstyParams) as { [K in DefaultedName]: Static<AllParams[K]> };
