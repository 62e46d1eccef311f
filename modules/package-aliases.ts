/** The package manager families the package module drives: apt/dpkg (Debian, Ubuntu) and dnf/rpm (EL). */
export type PackageFamily = 'deb' | 'rpm';

/** What one family ships under an alias: real package names, or why there is none. */
export type Shipped = string[] | { unavailable: string };

/** A Pigsty package alias: per-family package names, or a group of other aliases resolved in turn. */
export type PackageAlias = { deb: Shipped; rpm: Shipped } | { group: string[] };

// The pg_exporter family and Pigsty's own tools live only in Pigsty's repository; stock Debian, EL, EPEL and PGDG lack them.
const PIGSTY_REPO_ONLY = { unavailable: "only in Pigsty's own package repository" };
const pigstyOnly = { deb: PIGSTY_REPO_ONLY, rpm: PIGSTY_REPO_ONLY };
const elOnly = (rpm: string, why: string): PackageAlias => ({ deb: { unavailable: why }, rpm: [rpm] });
const both = (deb: string, rpm: string): PackageAlias => ({ deb: deb.split(' '), rpm: rpm.split(' ') });

const PG_CORE_DEB = 'postgresql-$v postgresql-client-$v postgresql-plpython3-$v postgresql-plperl-$v postgresql-pltcl-$v';
const PG_CORE_RPM =
  'postgresql$v postgresql$v-server postgresql$v-libs postgresql$v-contrib postgresql$v-plperl postgresql$v-plpython3 postgresql$v-pltcl';
// pgvector is only in PGDG's apt repository, not in Debian 12's main archive: name it in pg_extensions where PGDG is set up.
const PG_BASIC_DEB = 'postgresql-$v-repack postgresql-$v-wal2json';
const PG_BASIC_RPM = 'pg_repack_$v wal2json_$v pgvector_$v';

/**
 * Pigsty's package aliases (roles/node_id/vars/d12.x86_64.yml and el9.x86_64.yml) mapped to what Debian 12
 * (main plus PGDG's apt repository) and EL9 (BaseOS/AppStream plus EPEL and PGDG) really ship.
 * `$v` stands for the PostgreSQL major version. Names absent from this table are package names already.
 */
export const PACKAGE_ALIASES: Readonly<Record<string, PackageAlias>> = {
  // PostgreSQL kernel
  postgresql: both('postgresql-$v', PG_CORE_RPM),
  pgsql: both(PG_CORE_DEB, PG_CORE_RPM),
  'pgsql-core': both(PG_CORE_DEB, PG_CORE_RPM),
  'pgsql-mini': both('postgresql-$v postgresql-client-$v', 'postgresql$v postgresql$v-server postgresql$v-libs postgresql$v-contrib'),
  'pgsql-full': both(`${PG_CORE_DEB} postgresql-server-dev-$v`, `${PG_CORE_RPM} postgresql$v-llvmjit postgresql$v-test postgresql$v-devel`),
  'pgsql-main': both(`${PG_CORE_DEB} ${PG_BASIC_DEB}`, `${PG_CORE_RPM} ${PG_BASIC_RPM}`),
  'pgsql-basic': both(PG_BASIC_DEB, PG_BASIC_RPM),
  'pgsql-client': both('postgresql-client-$v', 'postgresql$v'),
  'pgsql-server': both('postgresql-$v', 'postgresql$v-server postgresql$v-libs postgresql$v-contrib'),
  'pgsql-devel': both('postgresql-server-dev-$v', 'postgresql$v-devel'),

  // PostgreSQL tools
  'pgsql-common': { group: ['patroni', 'pgbouncer', 'pgbackrest', 'pg_exporter', 'pgbackrest_exporter', 'vip-manager'] },
  patroni: both('patroni python3-etcd', 'patroni patroni-etcd'),
  'patroni-etcd': both('python3-etcd', 'patroni-etcd'),
  pg_exporter: pigstyOnly,
  'pg-exporter': pigstyOnly,
  pgbackrest_exporter: pigstyOnly,
  'pgbackrest-exporter': pigstyOnly,
  pg_activity: both('pg-activity', 'pg_activity'),
  'pg-activity': both('pg-activity', 'pg_activity'),
  pg_filedump: both('postgresql-filedump', 'pg_filedump'),
  pgformatter: both('pgformatter', 'pgFormatter'),
  pg_timetable: pigstyOnly,
  'pg-timetable': pigstyOnly,

  // Infrastructure the node and pgsql roles install
  etcd: both('etcd-server etcd-client', 'etcd'),
  'node-exporter': both('prometheus-node-exporter', 'golang-github-prometheus-node-exporter'),
  node_exporter: both('prometheus-node-exporter', 'golang-github-prometheus-node-exporter'),
  'blackbox-exporter': { deb: ['prometheus-blackbox-exporter'], rpm: PIGSTY_REPO_ONLY },
  blackbox_exporter: { deb: ['prometheus-blackbox-exporter'], rpm: PIGSTY_REPO_ONLY },
  'keepalived-exporter': pigstyOnly,
  keepalived_exporter: pigstyOnly,
  vector: pigstyOnly,
  pig: pigstyOnly,
  uv: pigstyOnly,

  // Base packages whose names differ between the families (Pigsty lists each family's spelling; both are accepted)
  zlib1g: both('zlib1g', 'zlib'),
  zlib: both('zlib1g', 'zlib'),
  'libreadline-dev': both('libreadline-dev', 'readline'),
  readline: both('libreadline-dev', 'readline'),
  'xz-utils': both('xz-utils', 'xz'),
  xz: both('xz-utils', 'xz'),
  locales: both('locales', 'glibc-langpack-en'),
  'glibc-langpack-en': both('locales', 'glibc-langpack-en'),
  cron: both('cron', 'cronie'),
  cronie: both('cron', 'cronie'),
  'openssh-client': both('openssh-client', 'openssh-clients'),
  'openssh-clients': both('openssh-client', 'openssh-clients'),
  'bind9-dnsutils': both('bind9-dnsutils', 'bind-utils'),
  'bind-utils': both('bind9-dnsutils', 'bind-utils'),
  iproute2: both('iproute2', 'iproute'),
  iproute: both('iproute2', 'iproute'),
  'iputils-ping': both('iputils-ping', 'iputils'),
  iputils: both('iputils-ping', 'iputils'),
  'netcat-openbsd': both('netcat-openbsd', 'nmap-ncat'),
  'nmap-ncat': both('netcat-openbsd', 'nmap-ncat'),
  procps: both('procps', 'procps-ng'),
  'procps-ng': both('procps', 'procps-ng'),
  'vim-tiny': both('vim-tiny', 'vim-minimal'),
  'vim-minimal': both('vim-tiny', 'vim-minimal'),
  audit: both('auditd', 'audit'),
  yum: elOnly('yum', 'EL package manager; apt hosts use apt'),
  grubby: elOnly('grubby', 'EL boot loader tool; Debian configures GRUB through /etc/default/grub'),
  chkconfig: elOnly('chkconfig', 'EL SysV service tool; Debian has no equivalent package'),

  // Pigsty's node package groups (node_packages_default), in Debian spelling
  'node-package1': {
    group:
      'bash python3 sudo acl ca-certificates openssl curl wget lz4 zstd unzip bzip2 gzip tar tzdata chrony openssh-server util-linux rsync psmisc logrotate'.split(
        ' ',
      ),
  },
  'node-package2': {
    group:
      'pv jq git make patch lsof less ncdu htop iotop socat net-tools telnet ipvsadm tuned numactl nvme-cli sysstat keepalived etcd haproxy vector pig uv'.split(
        ' ',
      ),
  },
  'node-package3': {
    group:
      'zlib1g libreadline-dev xz-utils locales cron openssh-client node-exporter bind9-dnsutils iproute2 iputils-ping netcat-openbsd procps vim-tiny'.split(
        ' ',
      ),
  },
};

/** Options for resolving aliases: the host's package family and the PostgreSQL major version `$v` stands for. */
export interface ResolveOptions {
  family: PackageFamily;
  pgVersion?: number | string;
}

/**
 * Turn Pigsty package names (aliases, or lists in one string separated by commas or spaces) into the family's
 * package names, deduplicated in order; aliases the family does not ship are returned in `unavailable`.
 */
export function resolvePackages(names: string | string[], options: ResolveOptions): { packages: string[]; unavailable: string[] } {
  const packages = new Set<string>();
  const unavailable = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    const alias = Object.hasOwn(PACKAGE_ALIASES, name) ? PACKAGE_ALIASES[name] : undefined;
    if (alias === undefined) return void packages.add(substituteVersion(name, trail, options.pgVersion));
    if ('group' in alias) {
      if (trail.includes(name)) throw new Error(`package alias cycle: ${[...trail, name].join(' -> ')}`);
      for (const member of alias.group) visit(member, [...trail, name]);
      return;
    }
    const shipped = alias[options.family];
    if (!Array.isArray(shipped)) return void unavailable.add(name);
    for (const pkg of shipped) packages.add(substituteVersion(pkg, [...trail, name], options.pgVersion));
  };
  for (const name of splitNames(names)) visit(name, []);
  return { packages: [...packages], unavailable: [...unavailable] };
}

/** Why a family lacks an alias, for the notice a role shows when it skips it. */
export function unavailableReason(name: string, family: PackageFamily): string | undefined {
  const alias = Object.hasOwn(PACKAGE_ALIASES, name) ? PACKAGE_ALIASES[name] : undefined;
  if (alias === undefined || 'group' in alias) return undefined;
  const shipped = alias[family];
  return Array.isArray(shipped) ? undefined : shipped.unavailable;
}

function splitNames(names: string | string[]): string[] {
  return (Array.isArray(names) ? names : [names]).flatMap((n) => n.split(/[\s,]+/)).filter((n) => n !== '');
}

/** Replace `$v` and `${pg_version}` with the PostgreSQL major version, failing when it is needed but unknown. */
export function substituteVersion(name: string, trail: string[], pgVersion: number | string | undefined): string {
  if (!name.includes('$v') && !name.includes('${pg_version}')) return name;
  if (pgVersion === undefined || String(pgVersion) === '') {
    throw new Error(`package ${[...trail, name].join(' -> ')} needs the PostgreSQL major version (pg_version)`);
  }
  return name.replaceAll('${pg_version}', String(pgVersion)).replaceAll('$v', String(pgVersion));
}
