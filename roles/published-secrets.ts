import { Advisory, type EngineError } from '../engine/errors.ts';
import { hostsOf } from '../engine/inventory.ts';
import type { Vars } from '../engine/inventory-types.ts';
import { isSecretName } from '../engine/output/mask.ts';
import { varContext, type CheckContext, type SemanticCheck } from '../engine/validate.ts';
import { formatPath, type YamlPath } from '../engine/yaml.ts';
import { NOT_IMPLEMENTED } from '../engine/schema.ts';
import { PARAM_DEFAULTS, PigstyParams } from './params.ts';

/**
 * The secrets Pigsty publishes in its roles' defaults and its example configurations (conf/*.yml): whoever has read
 * them can log in where they are left in place.
 */
export const PUBLISHED_SECRETS: ReadonlySet<string> = new Set([
  'DBUser.DBA',
  'DBUser.Monitor',
  'DBUser.Replicator',
  'DBUser.Meta',
  'DBUser.Viewer',
  'DBUser.Root',
  'DBUser.Cluster',
  'Patroni.API',
  'Etcd.Root',
  'pigsty',
  'minioadmin',
  'S3User.MinIO',
  'S3User.Backup',
  'S3User.Meta',
  'S3User.Data',
  'pgBackRest',
  'Vibe.Coding',
]);

const SHOWN_HOSTS = 3;

function someHosts(hosts: string[]): string {
  const shown = hosts.slice(0, SHOWN_HOSTS).join(', ');
  return hosts.length > SHOWN_HOSTS ? `${shown} and ${hosts.length - SHOWN_HOSTS} more` : shown;
}

/** Every place under a secret name inside a value whose text is a published secret, as a path below the variable. */
function publishedIn(value: unknown, secretName: boolean, path: YamlPath = []): YamlPath[] {
  if (typeof value === 'string') return secretName && PUBLISHED_SECRETS.has(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => publishedIn(v, secretName, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => publishedIn(v, isSecretName(k), [...path, k]));
  return [];
}

/**
 * A secret the inventory or -e sets to a published value, named by its place and never by its value. An inventory
 * value that -e replaces is not the run's, so it is not reported.
 */
const setPublished: SemanticCheck = (ctx) => {
  const found: EngineError[] = [];
  for (const host of ctx.selected) {
    for (const [name, value] of Object.entries(ctx.hostVars.get(host) ?? {})) {
      if (Object.hasOwn(ctx.extraVars, name)) continue;
      for (const inner of publishedIn(value, isSecretName(name))) {
        const where = varContext(ctx, host, name, inner);
        found.push(new Advisory("a secret is left at Pigsty's published default", where, 'a secret of your own'));
      }
    }
  }
  if (ctx.selected.size === 0) return found;
  for (const [name, value] of Object.entries(ctx.extraVars)) {
    for (const inner of publishedIn(value, isSecretName(name))) {
      found.push(
        new Advisory("a secret is set to Pigsty's published default", { path: `-e ${formatPath([name, ...inner])}` }, 'a secret of your own'),
      );
    }
  }
  return found;
};

const isPgHost = (v: Vars): boolean => v.pg_cluster !== undefined;
const unset = (v: Vars, name: string): boolean => v[name] === undefined || v[name] === '';

/** Which hosts read a parameter's declared default, by the module its name belongs to (any other: every host). */
const READERS: { names: RegExp; applies: (v: Vars, host: string, ctx: CheckContext) => boolean }[] = [
  { names: /^(pg|patroni)_/, applies: isPgHost },
  // PostgreSQL hosts log in to etcd as root to create their cluster's account.
  { names: /^etcd_/, applies: (v, host, ctx) => isPgHost(v) || hostsOf(ctx.inv, 'etcd').includes(host) },
  { names: /^haproxy_/, applies: (v) => v.haproxy_enabled !== false },
  { names: /^pgbackrest_/, applies: (v) => isPgHost(v) && v.pgbackrest_enabled !== false },
];

/** Parameters holding several entries of which a host reads one: whether it reads the entry a place inside lies in. */
const READS_ENTRY: Record<string, (v: Vars, entry: YamlPath[number] | undefined) => boolean> = {
  pgbackrest_repo: (v, entry) => entry === (v.pgbackrest_method ?? PARAM_DEFAULTS.pgbackrest_method),
};

/**
 * The places in the declared defaults of parameters a role reads that hold a published secret: the parameter's
 * value itself (pg_admin_password) or a secret inside it (pgbackrest_repo.minio.s3_key_secret).
 */
const PUBLISHED_DEFAULTS: { name: string; inner: YamlPath }[] = Object.entries(PigstyParams.properties)
  .filter(([, s]) => !(NOT_IMPLEMENTED in s))
  .flatMap(([name, s]) => publishedIn(s.default, isSecretName(name)).map((inner) => ({ name, inner })));

/** Secrets a role derives from names anyone can read in the inventory, when the inventory sets none. */
const DERIVED: { name: string; how: string; applies: (v: Vars) => boolean }[] = [
  { name: 'pgsodium_key', how: "the pgsodium key is the SHA-256 of the cluster's name", applies: isPgHost },
  { name: 'pg_etcd_password', how: "the cluster's etcd password is the cluster's name", applies: isPgHost },
  { name: 'vip_auth_pass', how: "keepalived's password is node_cluster-vip_vrid", applies: (v) => v.vip_enabled === true },
];

/** One advisory per parameter, naming the hosts, at all.vars where the parameter would be set for all of them. */
function unsetAdvisory(ctx: CheckContext, name: string, inner: YamlPath, hosts: string[], why: string): Advisory {
  const place = ctx.inv.locate(['all', 'vars']) ? ['all', 'vars'] : ['all'];
  const loc = ctx.inv.locate(place);
  return new Advisory(
    `${formatPath([name, ...inner])} is not set for ${someHosts(hosts)}: ${why}`,
    { file: loc?.file ?? ctx.inv.file, line: loc?.line, column: loc?.column, path: place.join('.') },
    inner.length ? `${name} set, with a ${formatPath(inner)} of your own` : `${name} set to a secret of your own`,
  );
}

/** A host's variables as the run sets them: its inventory's, with each name -e sets replaced. */
const runVars = (ctx: CheckContext, host: string): Vars => ({ ...ctx.hostVars.get(host), ...ctx.extraVars });

const roleDefaultPublished: SemanticCheck = (ctx) => {
  const found: Advisory[] = [];
  for (const { name, inner } of PUBLISHED_DEFAULTS) {
    const applies = READERS.find((r) => r.names.test(name))?.applies ?? (() => true);
    const readsEntry = READS_ENTRY[name] ?? (() => true);
    const hosts = [...ctx.selected].filter((h) => {
      const v = runVars(ctx, h);
      return applies(v, h, ctx) && unset(v, name) && readsEntry(v, inner[0]);
    });
    if (hosts.length) found.push(unsetAdvisory(ctx, name, inner, hosts, "the role's default is Pigsty's published one"));
  }
  for (const { name, how, applies } of DERIVED) {
    const hosts = [...ctx.selected].filter((h) => {
      const v = runVars(ctx, h);
      return applies(v) && unset(v, name);
    });
    if (hosts.length) found.push(unsetAdvisory(ctx, name, [], hosts, `${how}, which anyone who reads the inventory can work out`));
  }
  return found;
};

/** Warnings (errors with --strict) for secrets anyone could know: published defaults and secrets derived from names. */
export const secretAdvisories: SemanticCheck[] = [setPublished, roleDefaultPublished];
