import { statSync } from 'node:fs';
import { shq } from '../../engine/shell-quote.ts';
import { CA_CRT, CA_KEY, DRAIN_STDIN, PKI_DIRS } from './pki.ts';

/** The files/pki directories that are missing or have another mode. */
export function pkiDirsToFix(): { path: string; mode: string }[] {
  return PKI_DIRS.filter((d) => {
    try {
      const st = statSync(d.path);
      return !st.isDirectory() || (st.mode & 0o7777) !== parseInt(d.mode, 8);
    } catch {
      return true;
    }
  });
}

/** Shell that creates the directories with their modes. */
export const pkiDirsScript = (dirs: { path: string; mode: string }[]): string =>
  [DRAIN_STDIN, 'set -eu', ...dirs.map((d) => `mkdir -p ${shq(d.path)} && chmod ${d.mode} ${shq(d.path)}`)].join('\n');

/** A new CA key, made in a scratch file and linked into place: ln refuses to replace, so two runs at once keep one key. */
export function caKeyScript(key = CA_KEY): string {
  return [
    DRAIN_STDIN,
    'set -eu',
    'umask 077',
    `key=${shq(key)}`,
    'tmp=$(mktemp "$key.XXXXXX"); trap \'rm -f "$tmp"\' EXIT',
    'openssl genrsa -out "$tmp" 4096 2>/dev/null',
    'ln "$tmp" "$key" 2>/dev/null || [ -f "$key" ]',
  ].join('\n');
}

/** The self-signed CA certificate (CA:TRUE, pathlen:1, 100 years), written atomically. */
export function caCertScript(cn: string, crt = CA_CRT, key = CA_KEY): string {
  if (!/^[^/\n]+$/.test(cn)) throw new Error(`ca_cn "${cn}" must not contain / or a newline`);
  const config = [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    'x509_extensions = ca',
    '[dn]',
    'O = pigsty',
    'OU = ca',
    `CN = ${cn}`,
    '[ca]',
    'basicConstraints = critical, CA:TRUE, pathlen:1',
    'keyUsage = keyCertSign, cRLSign, digitalSignature',
    'subjectKeyIdentifier = hash',
  ].join('\n');
  return [
    DRAIN_STDIN,
    'set -eu',
    `crt=${shq(crt)}`,
    'work=$(mktemp -d); trap \'rm -rf "$work"\' EXIT',
    `cat > "$work/ca.cnf" <<'EOF'\n${config}\nEOF`,
    `openssl req -new -x509 -config "$work/ca.cnf" -key ${shq(key)} -sha256 -days 36500 -set_serial "0x$(openssl rand -hex 16)" -out "$work/ca.crt"`,
    'chmod 0644 "$work/ca.crt"',
    'ln "$work/ca.crt" "$crt" 2>/dev/null || [ -f "$crt" ]',
  ].join('\n');
}
