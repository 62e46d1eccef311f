import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shq } from '../../engine/shell-quote.ts';
import { isIpv4 } from '../params.ts';

/**
 * The controller's PKI: files/pki at the repository root, as Pigsty keeps it next to its playbooks. The CA lives in
 * ca/ (0700); leaf keys and certificates go in one directory per module (etcd, pgsql, ...), signing requests in csr/.
 */
export const PKI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../files/pki');
export const CA_DIR = `${PKI_DIR}/ca`;
export const CA_KEY = `${CA_DIR}/ca.key`;
export const CA_CRT = `${CA_DIR}/ca.crt`;

/**
 * The first words of every command run on the controller: read stdin to its end before doing anything. The engine's
 * local connection writes (possibly empty) stdin after spawning; a command that exits before that write makes the
 * write fail with EPIPE, which the local connection does not handle. Draining stdin keeps the command alive until then.
 */
export const DRAIN_STDIN = 'cat >/dev/null';

/**
 * Task options of the ca role's steps: each happens once, on the controller, as the user running the playbook. Whether
 * a step is needed is decided in its `when`, from the controller's files (so check mode reports exactly what would be done).
 */
export const onController = { delegate_to: 'localhost', run_once: true, become: false } as const;

/** Directories under files/pki and their modes (Pigsty v4.0's set). */
export const PKI_DIRS: readonly { path: string; mode: string }[] = [
  { path: PKI_DIR, mode: '0755' },
  { path: CA_DIR, mode: '0700' },
  ...['csr', 'misc', 'etcd', 'nginx', 'infra', 'pgsql', 'minio', 'mongo', 'mysql'].map((d) => ({ path: `${PKI_DIR}/${d}`, mode: '0755' })),
];

/** What one leaf certificate is: where it goes, whom it names, and the names and addresses it is valid for. */
export interface CertSpec {
  /** Directory under files/pki for the key and certificate, such as 'etcd' or 'pgsql'. */
  dir: string;
  /** File stem: the certificate is <dir>/<name>.crt and its signing request csr/<name>.csr. */
  name: string;
  /** File stem of the private key in <dir>, when several certificates share one key (pgsql: the cluster's); default `name`. */
  key?: string;
  /** Subject common name. */
  cn: string;
  /** Subject alternative names: 'DNS:host', 'IP:10.10.10.11', or a bare name or IPv4 address (typed by its form). */
  sans: string[];
  /** Subject organizational unit (Pigsty uses the module name: etcd, postgres, ...). */
  ou?: string;
}

/** The paths of a spec's files on the controller (under `root`, files/pki by default). */
export function certPaths(spec: CertSpec, root = PKI_DIR): { key: string; crt: string; csr: string } {
  for (const part of [spec.dir, spec.name, spec.key ?? spec.name]) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(part)) throw new Error(`"${part}" is not a plain file name (letters, digits, _ . -)`);
  }
  return {
    key: `${root}/${spec.dir}/${spec.key ?? spec.name}.key`,
    crt: `${root}/${spec.dir}/${spec.name}.crt`,
    csr: `${root}/csr/${spec.name}.csr`,
  };
}

/** SANs as OpenSSL writes them in a config (DNS:x, IP:x), typed by form when given bare; sorted and deduplicated. */
export function normalizeSans(sans: string[]): string[] {
  const out = sans.map((raw) => {
    const san = raw.trim();
    const typed = /^(DNS|IP):(.+)$/i.exec(san);
    const [kind, value] = typed ? [typed[1]!.toUpperCase(), typed[2]!.trim()] : [isIpv4(san) ? 'IP' : 'DNS', san];
    const valid = kind === 'IP' ? isIpv4(value) || /^[0-9a-fA-F:]+$/.test(value) : /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(value);
    if (!valid) throw new Error(`subject alternative name "${raw}" is neither a DNS name nor an IP address`);
    return `${kind}:${value}`;
  });
  return [...new Set(out)].sort();
}

/** The days of a validity such as Pigsty's cert_validity '7300d': every leaf certificate (etcd, pgsql, ...) is issued for these. */
export function validityDays(validity: string): number {
  const m = /^([0-9]+)d$/.exec(validity);
  if (!m || Number(m[1]) < 1) throw new Error(`cert_validity "${validity}" is not a number of days such as 7300d`);
  return Number(m[1]);
}

/** The shell that prints what the controller has for a certificate, as `key=`, `crt=`, `verify=`, `match=`, `cn=`, `san=` lines. */
export function certProbeScript(spec: CertSpec, root = PKI_DIR): string {
  const { key, crt } = certPaths(spec, root);
  return [
    DRAIN_STDIN,
    `key=${shq(key)}; crt=${shq(crt)}; ca=${shq(`${root}/ca/ca.crt`)}`,
    'if [ -f "$key" ]; then echo key=yes; else echo key=no; fi',
    'if [ -f "$crt" ]; then echo crt=yes; else echo crt=no; exit 0; fi',
    'if openssl verify -CAfile "$ca" "$crt" >/dev/null 2>&1; then echo verify=ok; else echo verify=no; fi',
    'if [ -f "$key" ] && [ "$(openssl x509 -noout -pubkey -in "$crt" 2>/dev/null)" = "$(openssl pkey -pubout -in "$key" 2>/dev/null)" ]; then echo match=yes; else echo match=no; fi',
    'echo "cn=$(openssl x509 -noout -subject -nameopt multiline -in "$crt" | sed -n "s/^ *commonName *= //p")"',
    'echo "san=$(openssl x509 -noout -ext subjectAltName -in "$crt" 2>/dev/null | sed 1d | tr -d " ")"',
  ].join('\n');
}

/** Why the certificate the probe described must be (re)issued, or undefined when it is what the spec asks for. */
export function certOutdated(probe: string, spec: CertSpec): string | undefined {
  const fields = new Map(
    probe
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  if (fields.get('key') !== 'yes') return 'no private key yet';
  if (fields.get('crt') !== 'yes') return 'no certificate yet';
  if (fields.get('verify') !== 'ok') return 'not signed by the current CA';
  if (fields.get('match') !== 'yes') return 'issued for another private key';
  if (fields.get('cn') !== spec.cn) return `common name is ${fields.get('cn') || 'empty'}, not ${spec.cn}`;
  const have = (fields.get('san') ?? '')
    .split(',')
    .filter(Boolean)
    .map((s) => s.replace(/^IPAddress:/, 'IP:'));
  const want = normalizeSans(spec.sans);
  if ([...new Set(have)].sort().join(',') !== want.join(',')) return `names are ${have.join(',') || 'none'}, not ${want.join(',')}`;
  return undefined;
}

/** The shell that makes the key (when missing) and signs a new certificate with the CA; files appear atomically. */
export function issueScript(spec: CertSpec, days: number, root = PKI_DIR): string {
  const { key, crt, csr } = certPaths(spec, root);
  const subject = `/O=pigsty/OU=${spec.ou ?? spec.dir}/CN=${spec.cn}`;
  if (/[\n/]/.test(spec.cn) || /[\n/]/.test(spec.ou ?? '')) throw new Error(`common name "${spec.cn}" or unit "${spec.ou}" contains / or a newline`);
  const extensions = [
    '[leaf]',
    'basicConstraints = CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth, clientAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    `subjectAltName = ${normalizeSans(spec.sans).join(', ')}`,
  ].join('\n');
  return [
    DRAIN_STDIN,
    'set -eu',
    'umask 077',
    `key=${shq(key)}; crt=${shq(crt)}; csr=${shq(csr)}`,
    'mkdir -p "$(dirname "$key")" "$(dirname "$crt")" "$(dirname "$csr")"',
    'work=$(mktemp -d); trap \'rm -rf "$work"\' EXIT',
    // Hosts sharing a key race to create it: ln refuses to replace, so exactly one key wins and all use it.
    'if [ ! -f "$key" ]; then',
    '  openssl genrsa -out "$work/key" 2048 2>/dev/null',
    '  ln "$work/key" "$key" 2>/dev/null || [ -f "$key" ]',
    'fi',
    `cat > "$work/ext.cnf" <<'EOF'\n${extensions}\nEOF`,
    `openssl req -new -key "$key" -subj ${shq(subject)} -out "$work/csr"`,
    `openssl x509 -req -in "$work/csr" -CA ${shq(`${root}/ca/ca.crt`)} -CAkey ${shq(`${root}/ca/ca.key`)} -set_serial "0x$(openssl rand -hex 16)" -days ${days} -sha256 -extfile "$work/ext.cnf" -extensions leaf -out "$work/crt" 2>/dev/null`,
    'chmod 0644 "$work/crt" "$work/csr"',
    'mv -f "$work/csr" "$csr"',
    'mv -f "$work/crt" "$crt"',
  ].join('\n');
}
