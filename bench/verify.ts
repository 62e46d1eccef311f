import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/**
 * What the workload leaves on a node, read over plain OpenSSH independently of either engine: every file's type,
 * owner, mode and content hash, the packages, the unit's state and the user. Timestamps are left out, they differ
 * between any two runs; so is what an engine leaves for itself (Ansible's ~/.ansible, python3-apt).
 */
const DPKG_FORMAT = '${Package} ${db:Status-Abbrev} ${Version}\\n';
const STATE_SCRIPT = String.raw`
set -u
DPKG_FORMAT='${DPKG_FORMAT}'
show() { if [ -e "$1" ]; then stat -c '%n %F %U:%G %a %s' -- "$1"; if [ -f "$1" ]; then sha256sum < "$1" | cut -d' ' -f1; fi; else echo "$1 absent"; fi; }
for d in 1 2 3 4 5 6 7 8; do show /opt/bench/d$d; show /opt/bench/d$d/app.conf; done
show /opt/bench
show /etc/sysctl.d/90-bench.conf
show /etc/hosts
dpkg-query -W -f="$DPKG_FORMAT" cron tree less 2>&1
echo "cron: $(systemctl is-enabled cron 2>&1) $(systemctl is-active cron 2>&1)"
getent passwd bench || echo 'no user bench'
getent group bench || echo 'no group bench'
getent shadow bench | cut -d: -f1,2,4-
show /home/bench
for f in /home/bench/.[!.]* /home/bench/*; do [ -e "$f" ] && show "$f"; done
true
`;

/** The state of one node as text, one fact a line. */
export function nodeState(address: string): string {
  const r = spawnSync('ssh', ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', `root@${address}`, STATE_SCRIPT], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reading the state of ${address} failed: ${r.stderr}`);
  return r.stdout;
}

/** Lines that differ between two states of the same node, as "- a" / "+ b" pairs; empty when they are the same. */
export function stateDiff(a: string, b: string): string[] {
  const left = a.split('\n');
  const right = b.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i] !== right[i]) out.push(`- ${left[i] ?? ''}`, `+ ${right[i] ?? ''}`);
  }
  return out;
}

// `npx tsx bench/verify.ts ADDRESS...` prints the state of each node.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const address of process.argv.slice(2)) process.stdout.write(`== ${address}\n${nodeState(address)}`);
}
