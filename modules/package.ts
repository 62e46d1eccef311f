import { Type } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type ModuleContext } from '../engine/module.ts';
import { dirOf } from './file-state.ts';
import { resolvePackages, substituteVersion, unavailableReason, type PackageFamily } from './package-aliases.ts';

/** A string enum as JSON Schema `enum`, so a wrong value is reported with the allowed ones. */

const PackageName = Type.String({
  pattern: '^[A-Za-z0-9]([A-Za-z0-9+._-]|\\$v|\\$\\{pg_version\\})*$',
  description: 'a package name (or a Pigsty alias with aliases: true); $v stands for pg_version',
});

export const PackageArgs = Type.Object(
  {
    name: Type.Union([PackageName, Type.Array(PackageName, { minItems: 1 })]),
    state: Type.Optional(Enum(['present', 'absent', 'latest'], { default: 'present' })),
    /** Refresh the package index (apt-get update / dnf makecache) before acting. */
    update_cache: Type.Optional(Type.Boolean()),
    /** With update_cache: refresh only when the index is older than this many seconds. */
    cache_valid_time: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Treat names as Pigsty aliases (modules/package-aliases.ts) and resolve them for the host's family. */
    aliases: Type.Optional(Type.Boolean()),
    /** PostgreSQL major version for $v; defaults to the pg_version variable. */
    pg_version: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[0-9]+$' })])),
    /** Seconds to wait for another package manager's lock before failing. */
    lock_timeout: Type.Optional(Type.Integer({ minimum: 0, default: 300 })),
  },
  { additionalProperties: false },
);

const STRICT_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const APT_STAMP = '/var/lib/apt/periodic/update-success-stamp';
const DNF_STAMP = '/var/cache/dnf/.pgsty-makecache-stamp';

/** What the read command found: the family, installed versions, available versions and the index age. */
export interface PackageState {
  family: PackageFamily;
  installed: Map<string, string>;
  /** Version the package manager would install; null when no repository has the package. */
  candidates: Map<string, string | null>;
  /** Installed packages with a newer version available (dnf check-update). */
  upgrades: Map<string, string>;
  /** Seconds since the package index was last refreshed; undefined when never. */
  cacheAge?: number;
}

/** The shell that prints PackageState for both families, choosing the family on the host. */
export function readCommand(names: Record<PackageFamily, string[]>, latest: boolean): string {
  const deb = names.deb.map(shq).join(' ');
  const rpm = names.rpm.map(shq).join(' ');
  const lines = [
    'if command -v apt-get >/dev/null 2>&1; then',
    '  echo "@family deb"',
    `  echo "@cache $(date +%s) $(stat -c %Y ${APT_STAMP} /var/lib/apt/lists 2>/dev/null | sort -n | tail -n 1)"`,
  ];
  if (deb) {
    // apt-cache policy loads the whole package cache: ask it only about names that are not installed, unless
    // upgrades are wanted. The installed check is a shell pattern on dpkg-query's output, not more processes.
    lines.push(
      `  inst=$(dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${deb} 2>/dev/null)`,
      '  echo "@installed"',
      '  printf \'%s\\n\' "$inst"',
      '  ask=""',
      // Names passed STRICT_NAME, so $ask splits into them unquoted.
      latest ? `  ask=${shq(names.deb.join(' '))}` : `  for p in ${deb}; do case "\n$inst" in *"\n$p\t"?[iWt]*) ;; *) ask="$ask $p" ;; esac; done`,
      '  echo "@policy"',
      '  [ -z "$ask" ] || apt-cache policy $ask 2>/dev/null',
    );
  }
  lines.push(
    'elif command -v dnf >/dev/null 2>&1; then',
    '  echo "@family rpm"',
    `  echo "@cache $(date +%s) $(stat -c %Y ${DNF_STAMP} 2>/dev/null)"`,
  );
  if (rpm) {
    lines.push(
      '  echo "@installed"',
      `  rpm -q --qf '%{NAME}\\tii \\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\n' ${rpm} 2>/dev/null | grep -v '^package '`,
      '  missing=""',
      `  for p in ${rpm}; do rpm -q --quiet "$p" || missing="$missing $p"; done`,
      '  echo "@available"',
      '  [ -z "$missing" ] || dnf -q repoquery --latest-limit=1 --qf \'%{name}\\t%{epoch}:%{version}-%{release}\\n\' $missing 2>/dev/null',
    );
    if (latest) lines.push('  echo "@upgrades"', `  dnf -q check-update ${rpm} 2>/dev/null`);
  }
  lines.push('else', '  echo "@family none"', 'fi', 'true');
  return lines.join('\n');
}

/** Parse what readCommand printed. */
export function parseState(output: string): PackageState {
  const state: PackageState = { family: 'deb', installed: new Map(), candidates: new Map(), upgrades: new Map() };
  let section = '';
  let policyName: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('@family ')) {
      const family = line.slice(8).trim();
      if (family !== 'deb' && family !== 'rpm') throw new ModuleFailure('no supported package manager on the host: expected apt-get or dnf');
      state.family = family;
    } else if (line.startsWith('@cache ')) {
      const [now, stamp] = line.slice(7).trim().split(/\s+/).map(Number);
      if (now !== undefined && stamp !== undefined && Number.isFinite(stamp)) state.cacheAge = Math.max(0, now - stamp);
    } else if (/^@(installed|policy|available|upgrades)$/.test(line)) {
      section = line.slice(1);
    } else if (section === 'installed') {
      const [name, status, version] = line.split('\t');
      // Status-Abbrev's second letter is the current state: installed, or installed with triggers pending.
      if (name && status && /^.[iWt]/.test(status)) state.installed.set(name, version ?? '');
    } else if (section === 'policy') {
      const header = /^(\S+?):$/.exec(line);
      const candidate = /^\s+Candidate: (.+)$/.exec(line);
      if (header) policyName = header[1];
      else if (candidate && policyName) state.candidates.set(policyName, candidate[1] === '(none)' ? null : (candidate[1] ?? null));
    } else if (section === 'available') {
      const [name, version] = line.split('\t');
      if (name && version) state.candidates.set(name, version);
    } else if (section === 'upgrades') {
      const [nameArch, version] = line.trim().split(/\s+/);
      if (nameArch && version && /\.[^.]+$/.test(nameArch)) state.upgrades.set(nameArch.replace(/\.[^.]+$/, ''), version);
    }
  }
  return state;
}

/** What a run must do to reach the wanted state. */
export interface PackageChanges {
  install: string[];
  upgrade: { name: string; from: string; to: string }[];
  remove: string[];
  /** Wanted packages no repository offers. */
  missing: string[];
}

/** Compare the host's packages with the wanted state. */
export function planChanges(state: PackageState, names: string[], wanted: 'present' | 'absent' | 'latest'): PackageChanges {
  const changes: PackageChanges = { install: [], upgrade: [], remove: [], missing: [] };
  for (const name of names) {
    const installed = state.installed.get(name);
    if (wanted === 'absent') {
      if (installed !== undefined) changes.remove.push(name);
      continue;
    }
    if (installed === undefined) {
      // rpm hosts list candidates only for packages that are not installed, so absence there means "no repository has it".
      if (state.candidates.get(name) == null) changes.missing.push(name);
      else changes.install.push(name);
      continue;
    }
    if (wanted !== 'latest') continue;
    const newer = state.family === 'deb' ? state.candidates.get(name) : state.upgrades.get(name);
    if (newer && newer !== installed) changes.upgrade.push({ name, from: installed, to: newer });
  }
  return changes;
}

function resolveNames(args: { name: string | string[]; aliases?: boolean }, family: PackageFamily, pgVersion: unknown) {
  const version = typeof pgVersion === 'number' || typeof pgVersion === 'string' ? pgVersion : undefined;
  const names = Array.isArray(args.name) ? args.name : [args.name];
  const resolved = args.aliases
    ? resolvePackages(names, { family, pgVersion: version })
    : { packages: [...new Set(names.map((n) => substituteVersion(n, [], version)))], unavailable: [] };
  const bad = resolved.packages.find((p) => !STRICT_NAME.test(p));
  if (bad !== undefined) throw new Error(`"${bad}" is not a valid package name`);
  return resolved;
}

function aptCommands(changes: PackageChanges, refresh: boolean, latest: string[], lockTimeout: number): string {
  const lock = `-o DPkg::Lock::Timeout=${lockTimeout}`;
  const apt = `apt-get -q -y ${lock} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold`;
  const lines = ['set -e', 'export DEBIAN_FRONTEND=noninteractive'];
  if (refresh) {
    // apt-get update takes the lists lock without waiting (DPkg::Lock::Timeout covers dpkg's lock only): retry while it is held.
    lines.push(
      `end=$(( $(date +%s) + ${lockTimeout} ))`,
      'until out=$(apt-get -q update 2>&1); do',
      '  case "$out" in *"Could not get lock"*) [ "$(date +%s)" -lt "$end" ] || { echo "$out" >&2; exit 1; }; sleep 1 ;; *) echo "$out" >&2; exit 1 ;; esac',
      'done',
      `mkdir -p ${dirOf(APT_STAMP)}`,
      `touch ${APT_STAMP}`,
    );
  }
  // After a refresh the plan's candidates are stale: install every latest-wanted name and let apt pick what is outdated.
  const install = refresh && latest.length ? latest : [...changes.install, ...changes.upgrade.map((u) => u.name)];
  if (install.length) lines.push(`${apt} install ${install.map(shq).join(' ')}`);
  if (changes.remove.length) lines.push(`${apt} remove ${changes.remove.map(shq).join(' ')}`);
  return lines.join('\n');
}

function dnfCommands(changes: PackageChanges, refresh: boolean, latest: string[]): string {
  const lines = ['set -e'];
  if (refresh) lines.push('dnf -q -y makecache --refresh', `touch ${DNF_STAMP}`);
  if (changes.install.length) lines.push(`dnf -q -y install ${changes.install.map(shq).join(' ')}`);
  const upgrade = refresh && latest.length ? latest : changes.upgrade.map((u) => u.name);
  if (upgrade.length) lines.push(`dnf -q -y upgrade ${upgrade.map(shq).join(' ')}`);
  if (changes.remove.length) lines.push(`dnf -q -y remove ${changes.remove.map(shq).join(' ')}`);
  return lines.join('\n');
}

async function readState(ctx: ModuleContext, names: Record<PackageFamily, string[]>, latest: boolean): Promise<PackageState> {
  return parseState(mustSucceed(await ctx.run(readCommand(names, latest)), 'reading package state').stdout);
}

/**
 * Install, upgrade or remove packages with apt (Debian/Ubuntu) or dnf (EL), chosen on the host; noninteractive,
 * keeping existing config files, waiting for the package manager's lock. A due cache refresh counts as a change.
 */
export const pkg = defineModule({
  name: 'package',
  args: PackageArgs,
  async plan(ctx, args) {
    const wanted = args.state ?? 'present';
    const pgVersion = args.pg_version ?? ctx.vars.pg_version;
    const perFamily = {} as Record<PackageFamily, { packages: string[]; unavailable: string[] } | Error>;
    for (const family of ['deb', 'rpm'] as const) {
      try {
        perFamily[family] = resolveNames(args, family, pgVersion);
      } catch (error) {
        perFamily[family] = error as Error;
      }
    }
    if (perFamily.deb instanceof Error && perFamily.rpm instanceof Error) throw new ModuleFailure(perFamily.deb.message);
    const namesOf = (f: PackageFamily) => (perFamily[f] instanceof Error ? [] : (perFamily[f] as { packages: string[] }).packages);
    const state = await readState(ctx, { deb: namesOf('deb'), rpm: namesOf('rpm') }, wanted === 'latest');
    const resolved = perFamily[state.family];
    if (resolved instanceof Error) throw new ModuleFailure(resolved.message);

    const warnings = resolved.unavailable.map(
      (n) => `package ${n} skipped: not available on ${state.family} hosts (${unavailableReason(n, state.family) ?? 'no package'})`,
    );
    const tool = state.family === 'deb' ? 'apt' : 'dnf';
    const refresh =
      Boolean(args.update_cache) && (args.cache_valid_time === undefined || state.cacheAge === undefined || state.cacheAge > args.cache_valid_time);
    const changes = planChanges(state, resolved.packages, wanted);
    if (changes.missing.length && !refresh) {
      throw new ModuleFailure(`no package named ${changes.missing.join(', ')} in the ${tool} repositories (update_cache may help)`);
    }
    const data = { family: state.family, packages: resolved.packages, unavailable: resolved.unavailable, cache_updated: refresh };
    const words = [
      refresh ? `refresh ${tool} cache` : '',
      changes.install.length || changes.missing.length ? `install ${[...changes.install, ...changes.missing].join(', ')}` : '',
      changes.upgrade.length ? `upgrade ${changes.upgrade.map((u) => `${u.name} (${u.from} -> ${u.to})`).join(', ')}` : '',
      changes.remove.length ? `remove ${changes.remove.join(', ')}` : '',
    ].filter(Boolean);
    if (words.length === 0) return { changed: false, data, warnings };

    const latest = wanted === 'latest' ? resolved.packages : [];
    const script =
      state.family === 'deb'
        ? aptCommands({ ...changes, install: [...changes.install, ...changes.missing] }, refresh, latest, args.lock_timeout ?? 300)
        : dnfCommands({ ...changes, install: [...changes.install, ...changes.missing] }, refresh, latest);
    return {
      changed: true,
      summary: words.join('; '),
      data,
      warnings,
      apply: async () => {
        const result = await ctx.run(script);
        if (result.code !== 0) {
          const reason =
            result.stderr
              .trim()
              .split('\n')
              .filter((l) => /^E:|rror|No match/.test(l))
              .join('; ') || result.stderr.trim();
          throw new ModuleFailure(`${tool} failed to ${words.join('; ')}: ${reason}`, {
            rc: result.code,
            stdout: result.stdout,
            stderr: result.stderr,
          });
        }
      },
    };
  },
});
