// Certificates for the etcd members, made with openssl on the controller under <repo>/files/pki.
//
// The etcd play does not run the ca role, so the CA is made here when it is missing, the way that role makes it
// (files/pki/ca/ca.{key,crt}, CN ca_cn, CA:TRUE pathlen:1). The member certificates come from these scripts rather
// than the ca role's issueCert: the subject's form and the checks for reissuing differ, so moving is a change of its own.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shq } from '../../engine/shell-quote.ts';
import { DRAIN_STDIN, PKI_DIR } from '../ca/pki.ts';
import { isIpv4 } from '../params.ts';

export const caCertPath = (): string => join(PKI_DIR, 'ca', 'ca.crt');
export const caKeyPath = (): string => join(PKI_DIR, 'ca', 'ca.key');
export const etcdCertPath = (instance: string): string => join(PKI_DIR, 'etcd', `${instance}.crt`);
export const etcdKeyPath = (instance: string): string => join(PKI_DIR, 'etcd', `${instance}.key`);

// The engine's local connection writes stdin after spawning and has no handler for EPIPE, so a local command that
// exits before reading it can crash the run (the creates/removes guards of shell do). These scripts drain stdin first
// (DRAIN_STDIN, the ca role's), and the tasks decide with existsSync on the controller instead of a guard.

/** Shell that makes the CA key and self-signed certificate when missing (or fails when ca_create is false). */
export function caScript(cn: string, create: boolean): string {
  const dir = join(PKI_DIR, 'ca');
  return [
    DRAIN_STDIN,
    'set -eu',
    `mkdir -p ${shq(join(PKI_DIR, 'csr'))} ${shq(join(PKI_DIR, 'etcd'))}`,
    `mkdir -p -m 0700 ${shq(dir)}`,
    'umask 077',
    `cd ${shq(dir)}`,
    'if [ ! -f ca.key ]; then',
    create
      ? '  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out ca.key.tmp 2>/dev/null && mv ca.key.tmp ca.key'
      : `  echo "${dir}/ca.key is missing and ca_create is false: put the CA key and certificate there" >&2; exit 1`,
    'fi',
    `openssl req -x509 -new -key ca.key -sha256 -days 36500 -subj ${shq(`/CN=${cn}/O=pigsty/OU=ca`)} \\`,
    "  -addext 'basicConstraints=critical,CA:TRUE,pathlen:1' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca.crt.tmp",
    'chmod 0644 ca.crt.tmp && mv ca.crt.tmp ca.crt',
  ].join('\n');
}

/** The subjectAltName of a member certificate: loopback, the host (IP or name) and the member name. */
export function certAltNames(host: string, instance: string): string {
  return ['IP:127.0.0.1', 'DNS:localhost', isIpv4(host) ? `IP:${host}` : `DNS:${host}`, `DNS:${instance}`].join(',');
}

/** Shell that issues the member certificate `instance` for `host`, signed by the CA: usable as server and as client. */
export function leafScript(host: string, instance: string, days: number): string {
  const ext = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
    `subjectAltName=${certAltNames(host, instance)}`,
  ];
  const key = `etcd/${instance}.key`;
  const csr = `csr/${instance}.csr`;
  return [
    DRAIN_STDIN,
    'set -eu',
    `cd ${shq(PKI_DIR)}`,
    'mkdir -p etcd csr',
    'umask 077',
    `[ -f ${shq(key)} ] || { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ${shq(`${key}.tmp`)} 2>/dev/null && mv ${shq(`${key}.tmp`)} ${shq(key)}; }`,
    `openssl req -new -key ${shq(key)} -subj ${shq(`/CN=${instance}/O=pigsty/OU=etcd`)} -out ${shq(csr)}`,
    `printf '%s\\n' ${ext.map(shq).join(' ')} > ${shq(`csr/${instance}.ext`)}`,
    `openssl x509 -req -in ${shq(csr)} -CA ca/ca.crt -CAkey ca/ca.key -set_serial "0x$(openssl rand -hex 16)" -days ${days} -sha256 \\`,
    `  -extfile ${shq(`csr/${instance}.ext`)} -out ${shq(`etcd/${instance}.crt.tmp`)} 2>/dev/null`,
    `chmod 0644 ${shq(`etcd/${instance}.crt.tmp`)} && mv ${shq(`etcd/${instance}.crt.tmp`)} ${shq(`etcd/${instance}.crt`)}`,
  ].join('\n');
}

/** The member certificate exists, was signed by the current CA, names this host, and belongs to the key next to it. */
export function leafUsable(instance: string, host: string): boolean {
  const crt = etcdCertPath(instance);
  const key = etcdKeyPath(instance);
  if (!existsSync(crt) || !existsSync(key) || !existsSync(caCertPath())) return false;
  try {
    execFileSync('openssl', ['verify', '-CAfile', caCertPath(), crt], { stdio: 'ignore' });
    const ofCert = execFileSync('openssl', ['x509', '-noout', '-pubkey', '-in', crt], { encoding: 'utf8' });
    const ofKey = execFileSync('openssl', ['pkey', '-pubout', '-in', key], { encoding: 'utf8' });
    // Member names repeat across inventories (etcd-1 of another cluster): a certificate for another address must go.
    const names = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', crt], { encoding: 'utf8' });
    return ofCert === ofKey && names.split(/[\s,]+/).includes(/^[0-9.]+$/.test(host) ? `Address:${host}` : `DNS:${host}`);
  } catch {
    return false;
  }
}
