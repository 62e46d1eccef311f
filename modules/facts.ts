import { Type } from '@sinclair/typebox';
import { defineModule, mustSucceed } from '../engine/module.ts';

/** One command that prints the facts as key=value lines; plain POSIX shell, no remote interpreter. */
const PROBE = [
  '. /etc/os-release 2>/dev/null',
  'echo "os_vendor=${ID:-unknown}"',
  'echo "os_version_full=${VERSION_ID:-0}"',
  'echo "os_codename=${VERSION_CODENAME:-}"',
  'echo "os_arch=$(uname -m)"',
  'if command -v dpkg >/dev/null 2>&1; then echo os_package=deb; else echo os_package=rpm; fi',
  'echo "node_user=$(id -un)"',
  'echo "node_hostname=$(hostname 2>/dev/null || cat /etc/hostname)"',
  'echo "node_cpu=$(nproc)"',
  'echo "node_mem_kb=$(sed -n "s/^MemTotal: *\\([0-9]*\\) kB/\\1/p" /proc/meminfo)"',
].join('; ');

/** Read the host facts every role needs (OS, architecture, hostname, CPU, memory) with one remote command. */
export const facts = defineModule({
  name: 'facts',
  args: Type.Object({}, { additionalProperties: false }),
  async plan(ctx) {
    const raw = Object.fromEntries(
      mustSucceed(await ctx.run(PROBE), 'reading host facts')
        .stdout.trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    ) as Record<string, string>;
    const memBytes = Number(raw.node_mem_kb ?? 0) * 1024;
    const result = {
      os_vendor: raw.os_vendor,
      os_version_full: raw.os_version_full,
      os_version: parseInt(raw.os_version_full ?? '0', 10),
      os_codename: raw.os_codename,
      os_arch: raw.os_arch,
      os_package: raw.os_package,
      node_user: raw.node_user,
      node_hostname: raw.node_hostname,
      node_cpu: Number(raw.node_cpu),
      node_mem_bytes: memBytes,
      node_mem_mb: Math.ceil(memBytes / 1024 ** 2),
      node_mem_gb: Math.max(1, Math.ceil(memBytes / 1024 ** 3)),
    };
    return { changed: false, facts: result, data: result };
  },
});
