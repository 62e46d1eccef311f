import { existsSync, statSync } from 'node:fs';
import { shq } from '../../engine/shell-quote.ts';
import { dsl } from '../../engine/dsl.ts';
import { debug } from '../../modules/debug.ts';
import { shell } from '../../modules/shell.ts';
import type { RoleVars } from '../vars.ts';
import { CA_CRT, CA_DIR, CA_KEY, DRAIN_STDIN, PKI_DIRS } from './pki.ts';

export { CA_CRT, CA_KEY, PKI_DIR, issueCert, certPaths, type CertSpec } from './pki.ts';

const { task, role } = dsl<RoleVars>();

/**
 * Everything here happens once, on the controller, as the user running the playbook. Whether a step is needed is
 * decided here, in `when`, from the controller's files (so check mode reports exactly what would be done).
 */
const onController = { delegate_to: 'localhost', run_once: true, become: false } as const;

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

/**
 * Pigsty's ca role: the controller's files/pki tree, a CA private key (made unless ca_create is false) and a self-signed
 * CA certificate, both kept once they exist. Leaf certificates come from issueCert (./pki.ts) in the roles that need them.
 */
export const ca = role({
  name: 'ca',
  tasks: [
    task('create the files/pki directories on the controller', shell, () => ({ cmd: pkiDirsScript(pkiDirsToFix()) }), {
      ...onController,
      tags: ['ca_dir'],
      when: () => pkiDirsToFix().length > 0,
    }),
    task(
      'abort: ca_create is false and there is no CA key',
      debug,
      () => {
        throw new Error(`ca_create is false, but ${CA_KEY} does not exist: put your CA key and certificate in ${CA_DIR} or set ca_create: true`);
      },
      { ...onController, tags: ['ca_private'], when: (v) => !v.ca_create && !existsSync(CA_KEY) },
    ),
    task('generate the CA private key', shell, { cmd: caKeyScript() }, {
      ...onController,
      tags: ['ca_private'],
      when: (v) => v.ca_create && !existsSync(CA_KEY),
    }),
    task('self-sign the CA certificate', shell, (v) => ({ cmd: caCertScript(v.ca_cn) }), {
      ...onController,
      tags: ['ca_cert'],
      when: () => !existsSync(CA_CRT),
    }),
  ],
});
