// Certificates for the etcd members, made with openssl on the controller under <repo>/files/pki.
//
// Interim: the ca role (roles/ca) is being written alongside and will own the CA and a helper that issues leaf
// certificates; until then this file creates the CA the way that role will (files/pki/ca/ca.{key,crt}, CN ca_cn,
// CA:TRUE pathlen:1) and issues the member certificates itself. Swap issueTasks for the ca role's helper then.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shq } from '../../engine/shell-quote.ts';
import { dsl } from '../../engine/dsl.ts';
import { shell } from '../../modules/shell.ts';
import { DRAIN_STDIN, PKI_DIR, validityDays } from '../ca/pki.ts';
import type { RoleVars } from '../vars.ts';
import { certAltNames, etcdInstance, etcdSeqOf } from './identity.ts';

const { task } = dsl<RoleVars>();

export const caCertPath = (): string => join(PKI_DIR, 'ca', 'ca.crt');
export const caKeyPath = (): string => join(PKI_DIR, 'ca', 'ca.key');
export const etcdCertPath = (instance: string): string => join(PKI_DIR, 'etcd', `${instance}.crt`);
export const etcdKeyPath = (instance: string): string => join(PKI_DIR, 'etcd', `${instance}.key`);

/** The member name of the host the task runs for. */
export const instanceOf = (v: RoleVars): string => etcdInstance(v.etcd_cluster, etcdSeqOf(v));

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

/** [etcd_cert_issue]: the CA once when missing, then a certificate per member unless it has a usable one, on the controller. */
export const issueTasks = [
  task('make the CA on the controller', shell, (v) => ({ cmd: caScript(v.ca_cn, v.ca_create) }), {
    tags: ['etcd_cert', 'etcd_cert_issue'],
    delegate_to: 'localhost',
    run_once: true,
    become: false,
    when: () => !existsSync(caCertPath()),
  }),
  task('issue the etcd member certificate on the controller', shell, (v) => ({ cmd: leafScript(v.inventory_hostname, instanceOf(v), validityDays(v.cert_validity)) }), {
    tags: ['etcd_cert', 'etcd_cert_issue'],
    delegate_to: 'localhost',
    become: false,
    when: (v) => !leafUsable(instanceOf(v), v.inventory_hostname),
  }),
];
