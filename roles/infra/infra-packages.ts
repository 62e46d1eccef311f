import type { RoleVars } from '../vars.ts';

/** Debian 12's packages of the components this role deploys, each only when its component is enabled. */
export function infraPackages(v: Pick<RoleVars, 'vmetrics_enabled' | 'alertmanager_enabled' | 'blackbox_enabled' | 'dns_enabled'>): string[] {
  return [
    ...(v.dns_enabled ? ['dnsmasq'] : []),
    ...(v.vmetrics_enabled ? ['victoria-metrics'] : []),
    ...(v.alertmanager_enabled ? ['prometheus-alertmanager'] : []),
    ...(v.blackbox_enabled ? ['prometheus-blackbox-exporter'] : []),
  ];
}

/** The service users those packages create, which join group infra to read targets, rules and the scrape config. */
export function infraServiceUsers(v: Pick<RoleVars, 'vmetrics_enabled' | 'alertmanager_enabled' | 'blackbox_enabled'>): string[] {
  return [...(v.vmetrics_enabled ? ['_victoria-metrics'] : []), ...(v.alertmanager_enabled || v.blackbox_enabled ? ['prometheus'] : [])];
}

/**
 * Components Pigsty deploys from its own repositories that Debian 12 lacks: each is named in one line with where it
 * would come from, or, where this node's repositories have it, as available but not deployed by this project yet.
 */
export const OPTIONAL_PACKAGES = ['grafana', 'victoria-logs', 'victoria-traces', 'vector'] as const;

/** Shell printing `<package> <candidate>` for each optional package (`(none)` when no repository has it). */
export const optionalProbe = (): string =>
  `for p in ${OPTIONAL_PACKAGES.join(' ')}; do printf '%s %s\\n' "$p" "$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p')"; done`;

/** The one line said about the optional packages, from the probe's output. */
export function optionalNotice(probe: string): string {
  const found = new Map(
    probe
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[0])
      .map((f) => [f[0] as string, f[1] && f[1] !== '(none)' ? f[1] : undefined]),
  );
  const missing = OPTIONAL_PACKAGES.filter((p) => !found.get(p));
  const present = OPTIONAL_PACKAGES.filter((p) => found.get(p));
  return [
    missing.length > 0
      ? `${missing.join(', ')}: skipped, no package in this node's repositories (Pigsty's infra repository or the vendor's provides them)`
      : '',
    present.length > 0 ? `${present.join(', ')}: available here, not deployed by this project yet` : '',
  ]
    .filter(Boolean)
    .join('; ');
}
