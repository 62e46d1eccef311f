import { Advisory, type EngineError } from '../engine/errors.ts';
import { hostsOf } from '../engine/inventory.ts';
import type { Vars } from '../engine/inventory-types.ts';
import { isSecretName } from '../engine/output/mask.ts';
import { varContext, type CheckContext, type SemanticCheck } from '../engine/validate.ts';
import type { YamlPath } from '../engine/yaml.ts';
import { NOT_IMPLEMENTED } from '../engine/schema.ts';
import { PigstyParams } from './params.ts';

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

/** A secret the inventory sets to a published value, named by its place and never by its value. */
const inventoryPublished: SemanticCheck = (ctx) => {
  const found: EngineError[] = [];
  for (const host of ctx.selected) {
    for (const [name, value] of Object.entries(ctx.hostVars.get(host) ?? {})) {
      for (const inner of publishedIn(value, isSecretName(name))) {
        const where = varContext(ctx, host, name, inner);
        found.push(new Advisory("a secret is left at Pigsty's published default", where, 'a secret of your own'));
      }
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
];

/** Parameters a role reads whose declared default is a published secret. */
const PUBLISHED_DEFAULTS: string[] = Object.entries(PigstyParams.properties)
  .filter(([name, s]) => !(NOT_IMPLEMENTED in s) && isSecretName(name) && typeof s.default === 'string' && PUBLISHED_SECRETS.has(s.default))
  .map(([name]) => name);

/** Secrets a role derives from names anyone can read in the inventory, when the inventory sets none. */
const DERIVED: { name: string; how: string; applies: (v: Vars) => boolean }[] = [
  { name: 'pgsodium_key', how: "the pgsodium key is the SHA-256 of the cluster's name", applies: isPgHost },
  { name: 'pg_etcd_password', how: "the cluster's etcd password is the cluster's name", applies: isPgHost },
  { name: 'vip_auth_pass', how: "keepalived's password is node_cluster-vip_vrid", applies: (v) => v.vip_enabled === true },
];

/** One advisory per parameter, naming the hosts, at all.vars where the parameter would be set for all of them. */
function unsetAdvisory(ctx: CheckContext, name: string, hosts: string[], why: string): Advisory {
  const place = ctx.inv.locate(['all', 'vars']) ? ['all', 'vars'] : ['all'];
  const loc = ctx.inv.locate(place);
  return new Advisory(
    `${name} is not set for ${someHosts(hosts)}: ${why}`,
    { file: loc?.file ?? ctx.inv.file, line: loc?.line, column: loc?.column, path: place.join('.') },
    `${name} set to a secret of your own`,
  );
}

const roleDefaultPublished: SemanticCheck = (ctx) => {
  const found: Advisory[] = [];
  for (const name of PUBLISHED_DEFAULTS) {
    const applies = READERS.find((r) => r.names.test(name))?.applies ?? (() => true);
    const hosts = [...ctx.selected].filter((h) => {
      const v = ctx.hostVars.get(h) ?? {};
      return applies(v, h, ctx) && unset(v, name);
    });
    if (hosts.length) found.push(unsetAdvisory(ctx, name, hosts, "the role's default is Pigsty's published one"));
  }
  for (const { name, how, applies } of DERIVED) {
    const hosts = [...ctx.selected].filter((h) => {
      const v = ctx.hostVars.get(h) ?? {};
      return applies(v) && unset(v, name);
    });
    if (hosts.length) found.push(unsetAdvisory(ctx, name, hosts, `${how}, which anyone who reads the inventory can work out`));
  }
  return found;
};

/** Warnings (errors with --strict) for secrets anyone could know: published defaults and secrets derived from names. */
export const secretAdvisories: SemanticCheck[] = [inventoryPublished, roleDefaultPublished];
