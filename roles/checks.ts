import { EngineError } from '../engine/errors.ts';
import { hostsOf } from '../engine/inventory.ts';
import type { Vars } from '../engine/inventory-types.ts';
import { varContext, type CheckContext, type SemanticCheck } from '../engine/validate.ts';
import { MAX_INFRA_NODES } from './infra/tasks/register.ts';
import { isHostAddress, isIpv4 } from './params.ts';
import { secretAdvisories } from './published-secrets.ts';

// Checks read raw inventory values: a value of the wrong type is the schema's to report, so they skip it here.
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (Number.isInteger(v) ? (v as number) : undefined);

const PG_IDENTITY = ['pg_cluster', 'pg_seq', 'pg_role'] as const;

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function touches(ctx: CheckContext, hosts: string[]): boolean {
  return hosts.some((h) => ctx.selected.has(h));
}

/** Hosts of each pg_cluster, inventory-wide and in inventory order: Pigsty ignores groups for membership. */
function pgClusters(ctx: CheckContext): Map<string, string[]> {
  const clusters = new Map<string, string[]>();
  for (const [host, vars] of ctx.hostVars) {
    const name = str(vars.pg_cluster);
    if (name !== undefined) clusters.set(name, [...(clusters.get(name) ?? []), host]);
  }
  return clusters;
}

function varsOf(ctx: CheckContext, host: string): Vars {
  return ctx.hostVars.get(host) ?? {};
}

/** A host with any of pg_cluster, pg_seq, pg_role needs all three. */
const pgIdentityComplete: SemanticCheck = (ctx) => {
  const errors: EngineError[] = [];
  for (const host of ctx.selected) {
    const vars = varsOf(ctx, host);
    const present = PG_IDENTITY.filter((k) => vars[k] !== undefined);
    if (present.length === 0 || present.length === PG_IDENTITY.length) continue;
    for (const missing of PG_IDENTITY.filter((k) => !present.includes(k))) {
      errors.push(
        new EngineError(
          `${missing} is not set, but ${list([...present])} ${present.length > 1 ? 'are' : 'is'}`,
          varContext(ctx, host, missing),
          'pg_cluster, pg_seq and pg_role set together on every PostgreSQL host',
        ),
      );
    }
  }
  return errors;
};

/** pg_cluster names an etcd key, a DNS name and OS paths, hence letters, digits and dashes, and not `root`. */
const pgClusterName: SemanticCheck = (ctx) => {
  const errors: EngineError[] = [];
  for (const host of ctx.selected) {
    const name = str(varsOf(ctx, host).pg_cluster);
    // root is etcd's superuser; default is the DNS record file of dns_records, which the cluster's record would replace.
    if (name === undefined || (/^[A-Za-z0-9-]+$/.test(name) && name !== 'root' && name !== 'default')) continue;
    errors.push(
      new EngineError(
        `invalid cluster name "${name}"`,
        varContext(ctx, host, 'pg_cluster'),
        'letters, digits and - only, and not "root" or "default"',
      ),
    );
  }
  return errors;
};

/** Exactly one primary in each cluster. */
const onePrimaryPerCluster: SemanticCheck = (ctx) => {
  const errors: EngineError[] = [];
  for (const [cluster, members] of pgClusters(ctx)) {
    if (!touches(ctx, members)) continue;
    const withRole = members.filter((h) => str(varsOf(ctx, h).pg_role) !== undefined);
    const primaries = withRole.filter((h) => varsOf(ctx, h).pg_role === 'primary');
    if (primaries.length === 1 || withRole.length === 0) continue;
    const expected = 'exactly one member with pg_role: primary';
    const second = primaries[1];
    if (second === undefined) {
      const first = members.find((h) => ctx.selected.has(h)) ?? (members[0] as string);
      errors.push(new EngineError(`cluster ${cluster} has no primary among ${list(members)}`, varContext(ctx, first, 'pg_cluster'), expected));
    } else {
      errors.push(
        new EngineError(`cluster ${cluster} has ${primaries.length} primaries: ${list(primaries)}`, varContext(ctx, second, 'pg_role'), expected),
      );
    }
  }
  return errors;
};

/** Every pg_seq appears once per cluster: it names the instance (<cluster>-<seq>). */
const uniquePgSeq: SemanticCheck = (ctx) => {
  const errors: EngineError[] = [];
  for (const [cluster, members] of pgClusters(ctx)) {
    const owner = new Map<number, string>();
    for (const host of members) {
      const seq = int(varsOf(ctx, host).pg_seq);
      if (seq === undefined) continue;
      const first = owner.get(seq);
      if (first === undefined) owner.set(seq, host);
      else if (touches(ctx, [first, host])) {
        errors.push(
          new EngineError(
            `pg_seq ${seq} is used by both ${first} and ${host} in cluster ${cluster}`,
            varContext(ctx, host, 'pg_seq'),
            'a pg_seq unique within the cluster',
          ),
        );
      }
    }
  }
  return errors;
};

/**
 * A sequence number per member, unique within its cluster, for etcd (group `etcd`, which Pigsty's pgsql and
 * etcd roles read by that name) and MinIO (members share minio_cluster). A host `clusterOf` places in no cluster is
 * no member.
 */
function uniqueSeqs(ctx: CheckContext, seqVar: string, clusterOf: (vars: Vars) => string | undefined, hosts: string[]): EngineError[] {
  const errors: EngineError[] = [];
  const owner = new Map<string, string>();
  for (const host of hosts) {
    const seq = int(varsOf(ctx, host)[seqVar]);
    if (seq === undefined) continue;
    const cluster = clusterOf(varsOf(ctx, host));
    if (cluster === undefined) continue;
    const key = JSON.stringify([cluster, seq]);
    const first = owner.get(key);
    if (first === undefined) owner.set(key, host);
    else if (touches(ctx, [first, host])) {
      errors.push(
        new EngineError(
          `${seqVar} ${seq} is used by both ${first} and ${host} in cluster ${cluster}`,
          varContext(ctx, host, seqVar),
          `a ${seqVar} unique within the cluster`,
        ),
      );
    }
  }
  return errors;
}

function missingSeqs(ctx: CheckContext, seqVar: string, group: string): EngineError[] {
  return hostsOf(ctx.inv, group)
    .filter((h) => ctx.selected.has(h) && varsOf(ctx, h)[seqVar] === undefined)
    .map(
      (h) =>
        new EngineError(
          `${seqVar} is not set on a member of group ${group}`,
          varContext(ctx, h, seqVar),
          `an integer ${seqVar} on every ${group} host`,
        ),
    );
}

/** etcd members each need a distinct etcd_seq. */
const etcdIdentity: SemanticCheck = (ctx) => {
  const members = hostsOf(ctx.inv, 'etcd');
  return [...missingSeqs(ctx, 'etcd_seq', 'etcd'), ...uniqueSeqs(ctx, 'etcd_seq', () => 'etcd', members)];
};

/** Infra nodes each need a distinct infra_seq (Pigsty's infra identity, `infra-<seq>`), as etcd members need etcd_seq. */
const infraIdentity: SemanticCheck = (ctx) => {
  const members = hostsOf(ctx.inv, 'infra');
  return [...missingSeqs(ctx, 'infra_seq', 'infra'), ...uniqueSeqs(ctx, 'infra_seq', () => 'infra', members)];
};

/** Registration writes on each infra host through its own copy of the steps, of which there are MAX_INFRA_NODES. */
const infraGroupSize: SemanticCheck = (ctx) => {
  const members = hostsOf(ctx.inv, 'infra');
  if (members.length <= MAX_INFRA_NODES || !touches(ctx, members)) return [];
  const loc = ctx.inv.locate(['all', 'children', 'infra']);
  return [
    new EngineError(
      `group infra has ${members.length} hosts, more than the ${MAX_INFRA_NODES} targets and rules are registered on`,
      { file: loc?.file ?? ctx.inv.file, line: loc?.line, column: loc?.column, path: 'all.children.infra' },
      `at most ${MAX_INFRA_NODES} infra hosts`,
    ),
  ];
};

/**
 * An infra host's inventory name reaches the other infra hosts' vmalert command line (an Alertmanager URL each) and
 * URLs: a name with a space, a quote or a $ would add flags there. Checked when any infra host is in the run.
 */
const infraHostNames: SemanticCheck = (ctx) => {
  const members = hostsOf(ctx.inv, 'infra');
  if (!touches(ctx, members)) return [];
  // dnsmasq listens on the infra host's own address, which only an IPv4 inventory name gives.
  const dnsOn = (h: string): boolean => ({ ...varsOf(ctx, h), ...ctx.extraVars }).dns_enabled !== false;
  const dnsErrors = members
    .filter((h) => isHostAddress(h) && !isIpv4(h) && dnsOn(h))
    .map(
      (h) =>
        new EngineError(
          `infra host ${JSON.stringify(h)} runs dnsmasq, which listens on the host's address, but is named by a host name`,
          varContext(ctx, h, 'dns_enabled'),
          'the infra host named by its IPv4 address, or dns_enabled: false',
        ),
    );
  return members
    .filter((h) => !isHostAddress(h))
    .map(
      (h) =>
        new EngineError(
          `infra host ${JSON.stringify(h)} is not an IPv4 address or a host name`,
          varContext(ctx, h, 'inventory_hostname'),
          'an IPv4 address, or a host name of letters, digits, - and dots (no spaces, quotes, $ or backslashes)',
        ),
    )
    .concat(dnsErrors);
};

/**
 * postgres_exporter 0.11 turns its URL into key=value words split at spaces, so a monitor password with whitespace
 * makes it exit at start, printing the password in its error. Refused unless pg_exporter_url gives the connection.
 */
const monitorPasswordWords: SemanticCheck = (ctx) => {
  const errors: EngineError[] = [];
  for (const host of ctx.selected) {
    const vars = { ...varsOf(ctx, host), ...ctx.extraVars };
    if (vars.pg_cluster === undefined || vars.pg_exporter_enabled === false || (str(vars.pg_exporter_url) ?? '') !== '') continue;
    if (!/\s/.test(str(vars.pg_monitor_password) ?? '')) continue;
    errors.push(
      new EngineError(
        'pg_monitor_password has whitespace, which postgres_exporter cannot take in its connection',
        varContext(ctx, host, 'pg_monitor_password'),
        'a monitor password without spaces, or pg_exporter_url set (or pg_exporter_enabled: false)',
      ),
    );
  }
  return errors;
};

/** infra.ts deploys on the hosts of group infra: without any, it would do nothing and say nothing. */
export const infraGroupRequired: SemanticCheck = (ctx) =>
  hostsOf(ctx.inv, 'infra').length > 0
    ? []
    : [
        new EngineError(
          'group infra has no hosts: infra.ts deploys the INFRA module on the hosts of group infra',
          { file: ctx.inv.file, path: 'all.children.infra' },
          'a group infra with at least one host',
        ),
      ];

/**
 * A MinIO member needs minio_seq and a non-empty minio_cluster; seqs are distinct within a cluster. minio_cluster has
 * no default (Pigsty's minio play skips a host without one), so a host without it is in no cluster.
 */
const minioIdentity: SemanticCheck = (ctx) => {
  const errors = missingSeqs(ctx, 'minio_seq', 'minio');
  const members = [...ctx.hostVars.keys()].filter((h) => varsOf(ctx, h).minio_seq !== undefined);
  for (const host of members.filter((h) => ctx.selected.has(h))) {
    if (varsOf(ctx, host).minio_cluster !== '') continue;
    errors.push(new EngineError('minio_cluster is empty on a host with minio_seq', varContext(ctx, host, 'minio_cluster'), 'a minio_cluster name'));
  }
  return [...errors, ...uniqueSeqs(ctx, 'minio_seq', (v) => str(v.minio_cluster), members)];
};

/** admin_ip is where the repo, DNS, HBA `admin` rules and certificates point; a missing one is reported once at all.vars. */
const adminIpPresent: SemanticCheck = (ctx) => {
  const place = ctx.inv.locate(['all', 'vars']) ? ['all', 'vars'] : ['all'];
  const loc = ctx.inv.locate(place);
  return [...ctx.selected]
    .filter((h) => varsOf(ctx, h).admin_ip === undefined)
    .map(
      (host) =>
        new EngineError(
          'admin_ip is not set',
          { file: loc?.file ?? ctx.inv.file, line: loc?.line, column: loc?.column, host, path: place.join('.') },
          'admin_ip: <IPv4 of the admin node> in all.vars',
        ),
    );
};

/** pg_users / pg_databases name each object once per cluster; a second definition would silently win. */
const uniqueBusinessObjects: SemanticCheck = (ctx) => {
  const errors: EngineError[] = [];
  for (const host of ctx.selected) {
    const vars = varsOf(ctx, host);
    const cluster = str(vars.pg_cluster);
    if (cluster === undefined) continue;
    for (const [listVar, noun] of [
      ['pg_users', 'user'],
      ['pg_databases', 'database'],
    ] as const) {
      const items = vars[listVar];
      if (!Array.isArray(items)) continue;
      const firstAt = new Map<string, number>();
      items.forEach((item: unknown, i) => {
        const name = str((item as { name?: unknown } | null)?.name);
        if (name === undefined) return;
        const first = firstAt.get(name);
        if (first === undefined) firstAt.set(name, i);
        else {
          errors.push(
            new EngineError(
              `${noun} "${name}" of cluster ${cluster} is defined again (first at ${listVar}[${first}])`,
              varContext(ctx, host, listVar, [i, 'name']),
              `each ${noun} name once in ${listVar}`,
            ),
          );
        }
      });
    }
  }
  return errors;
};

/** Pigsty's inventory rules that a schema cannot express, for validateInventory. */
export const checks: SemanticCheck[] = [
  pgIdentityComplete,
  pgClusterName,
  onePrimaryPerCluster,
  uniquePgSeq,
  etcdIdentity,
  infraIdentity,
  infraGroupSize,
  infraHostNames,
  monitorPasswordWords,
  minioIdentity,
  adminIpPresent,
  uniqueBusinessObjects,
  ...secretAdvisories,
];
