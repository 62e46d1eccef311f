// Shell for etcdctl 3.4 on a member: TLS from /etc/etcd, passwords only on standard input (never in a command
// line another user could read in ps), and probes that print key=value lines for the tasks to decide on.
import { shq } from '../../engine/shell-quote.ts';
import type { ParamVars } from '../params.ts';

/** The TLS files every member has; clients must present a certificate (mutual TLS). */
export const ETCD_TLS = { cacert: '/etc/etcd/ca.crt', cert: '/etc/etcd/server.crt', key: '/etc/etcd/server.key' } as const;

/** Lines that point etcdctl at `endpoints` with this member's certificate. */
export function etcdctlEnv(endpoints: string): string[] {
  return [
    `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${shq(endpoints)} ETCDCTL_CACERT=${ETCD_TLS.cacert} ETCDCTL_CERT=${ETCD_TLS.cert} ETCDCTL_KEY=${ETCD_TLS.key}`,
  ];
}

/** Read the root password from the first line of stdin and log in as root with it. */
export const READ_ROOT = ['IFS= read -r root_pass || true; export ETCDCTL_USER="root:$root_pass"'];

/** etcdctl reads passwords with Scanf("%s"): whitespace would cut them, so refuse such passwords up front. */
export function checkPassword(what: string, password: string): void {
  if (password === '' || /\s/.test(password))
    throw new Error(`${what} must be non-empty and without whitespace (etcdctl reads passwords as one word)`);
}

/** The root password as the scripts read it: the first line of stdin. */
export function rootSecret(v: Pick<ParamVars, 'etcd_root_password'>): string {
  checkPassword('etcd_root_password', v.etcd_root_password);
  return `${v.etcd_root_password}\n`;
}

/** Parse key=value lines (the probes' output); later keys win, other lines are ignored. */
export function keyValues(stdout: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (stdout ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && /^[a-z_]+$/.test(line.slice(0, eq))) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * Health of the local member, as root (etcd 3.4 refuses the health read to anonymous clients once auth is on,
 * and ignores the credentials while it is off). Root password on stdin.
 */
export function healthScript(port: number): string {
  return ['set -e', ...etcdctlEnv(`https://127.0.0.1:${port}`), ...READ_ROOT, 'etcdctl endpoint health'].join('\n');
}

/**
 * Whether auth is on (etcd 3.4 has no `auth status`: a `user list` without password is refused exactly when it is),
 * and whether the root password works. Prints auth=on|off and root=ok|absent|present.
 * Fails when auth is on and the root password is refused: nothing the role does can work then.
 */
export function authProbeScript(endpoints: string): string {
  return [
    ...etcdctlEnv(endpoints),
    'IFS= read -r root_pass || true',
    'if out=$(etcdctl user list 2>&1); then',
    '  echo auth=off',
    '  if etcdctl user get root >/dev/null 2>&1; then echo root=present; else echo root=absent; fi',
    // refused: no user (user name is empty), or the certificate's CN taken as a user that does not exist or may not list
    'elif printf "%s" "$out" | grep -Eq "user name is empty|user name not found|permission denied"; then',
    '  echo auth=on',
    '  if out=$(ETCDCTL_USER="root:$root_pass" etcdctl user list 2>&1); then echo root=ok; exit 0; fi',
    '  if printf "%s" "$out" | grep -q "authentication failed"; then',
    '    echo "etcd auth is on and refuses etcd_root_password for root: set the password the cluster has" >&2; exit 1',
    '  fi',
    '  echo "$out" >&2; exit 1',
    'else',
    '  echo "$out" >&2; exit 1',
    'fi',
  ].join('\n');
}

/** Create root (or set its password: it cannot be checked while auth is off) and turn auth on. Root password on stdin. */
export function authEnableScript(endpoints: string): string {
  return [
    'set -e',
    ...etcdctlEnv(endpoints),
    'IFS= read -r root_pass || true',
    'if etcdctl user get root >/dev/null 2>&1; then',
    '  printf "%s\\n" "$root_pass" | etcdctl user passwd root --interactive=false',
    'else',
    '  printf "%s\\n" "$root_pass" | etcdctl user add root --interactive=false',
    'fi',
    // auth enable grants the built-in root role to root when it lacks it
    'etcdctl auth enable',
  ].join('\n');
}

/** Members as `member list -w json` prints them (IDs are left out: they do not fit a JavaScript number). */
export function memberPeerUrls(stdout: string | undefined): string[] {
  const match = /"members":(\[.*\])/.exec(stdout ?? '');
  if (!match?.[1]) return [];
  const members = JSON.parse(match[1].replace(/"ID":[0-9]+,?/g, '')) as { peerURLs?: string[] }[];
  return members.flatMap((m) => m.peerURLs ?? []);
}

/** List the members through the given endpoints, as root (stdin). */
export function memberListScript(endpoints: string): string {
  return ['set -e', ...etcdctlEnv(endpoints), ...READ_ROOT, 'etcdctl member list -w json'].join('\n');
}

/** Register a new member (as a learner when asked) through the other members, as root (stdin). */
export function memberAddScript(endpoints: string, name: string, peerUrl: string, learner: boolean): string {
  const argv = ['etcdctl', 'member', 'add', name, `--peer-urls=${peerUrl}`, ...(learner ? ['--learner=true'] : [])];
  return ['set -e', ...etcdctlEnv(endpoints), ...READ_ROOT, argv.map(shq).join(' ')].join('\n');
}
