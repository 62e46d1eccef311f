import type { ParamVars } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { withAdminIp } from '../admin-ip.ts';
import type { NodeVars } from './node-vars.ts';

/**
 * Debian 12's default node packages when neither node_default_packages nor the OS vars' node_packages_default is
 * set: a modest subset of Pigsty's d12 list, only packages Debian ships (no pig, uv, vector; tuned, keepalived,
 * etcd and haproxy come with the roles that use them).
 */
export const NODE_PACKAGES_D12: readonly string[] = [
  'lz4,unzip,bzip2,pv,jq,lsof,rsync,acl,sysstat,psmisc',
  'python3,socat,net-tools,ca-certificates,openssl,chrony,cron',
  'bind9-dnsutils,iproute2,iputils-ping,netcat-openbsd,procps,vim-tiny,openssh-server,openssh-client',
];

type RepoItem = NonNullable<ParamVars['repo_upstream']>[number];

/**
 * The apt source lines of one node_repo_modules item: the repo_upstream entries of that module for the node's
 * release and architecture, each `deb [trusted=yes] <url>` with the region's URL when it has one.
 */
export function aptSourceLines(
  module: string,
  repos: RepoItem[],
  v: Pick<RoleVars, 'os_version' | 'os_arch' | 'os_codename' | 'os_vendor' | 'region' | 'admin_ip'>,
): string[] {
  return repos
    .filter((r) => r.module === module && r.releases.includes(v.os_version ?? -1) && (r.arch as string[]).includes(v.os_arch ?? ''))
    .map((r) => {
      const url = r.baseurl[v.region] ? (r.baseurl[v.region] as string) : (r.baseurl.default ?? '');
      const line = withAdminIp(url, v.admin_ip)
        .replaceAll('${distro_codename}', v.os_codename ?? '')
        .replaceAll('${distro_name}', v.os_vendor ?? '');
      return `# ${r.name}: ${r.description ?? ''}\ndeb [trusted=yes] ${line}`;
    });
}

/** node_repo_modules as a list of module names. */
export const repoModules = (v: NodeVars): string[] =>
  v.node_repo_modules
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);

/** The repository definitions nodes use: repo_upstream, else the OS vars' repo_upstream_default (none on Debian here). */
export const repoUpstream = (v: NodeVars): NonNullable<NodeVars['repo_upstream']> => v.repo_upstream ?? v.repo_upstream_default ?? [];

/** The modules that have repo_upstream entries for this node; `local` (Pigsty's own repo on the admin node) never does here. */
export const upstreamModules = (v: NodeVars): string[] =>
  repoModules(v).filter((m) => m !== 'local' && aptSourceLines(m, repoUpstream(v), v).length > 0);

/** Package lists as Pigsty writes them (items of comma or space separated names) as single names. */
export const splitPackages = (items: string[]): string[] => items.flatMap((i) => i.split(/[\s,]+/)).filter(Boolean);

/** The packages Pigsty installs by default on this node: node_default_packages, else the OS default, else Debian 12's list here. */
export const defaultPackages = (v: NodeVars): string[] => splitPackages(v.node_default_packages ?? v.node_packages_default ?? [...NODE_PACKAGES_D12]);
