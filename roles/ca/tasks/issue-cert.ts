import { dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import type { RoleVars } from '../../vars.ts';
import { certOutdated, certProbeScript, issueScript, validityDays, type CertSpec } from '../pki.ts';

type CertVars = RoleVars & { pki_cert_probe?: TaskResult };

/**
 * Tasks that issue one leaf certificate per host, signed by the Pigsty CA on the controller (files/pki/ca), as
 * Pigsty's etcd and pgsql roles do with openssl_privatekey / openssl_csr / openssl_certificate (ownca):
 *
 *   ...issueCert((v) => ({ dir: 'etcd', name: `${v.etcd_cluster}-${v.etcd_seq}`, cn: ..., sans: ['DNS:localhost', 'IP:127.0.0.1', `IP:${v.inventory_hostname}`] }),
 *                { tags: ['etcd_cert', 'etcd_cert_issue'] })
 *
 * The key (RSA 2048, 0600) is files/pki/<dir>/<key ?? name>.key, made once and kept; the certificate
 * files/pki/<dir>/<name>.crt (serverAuth + clientAuth, valid `cert_validity` days) is (re)issued only when it is
 * missing, not signed by the current CA, not for that key, or names another CN or SAN set, so a re-run changes
 * nothing. Both tasks run on the controller (delegate_to localhost, without become); the first only reads (it runs
 * in check mode too) and the second reports in check mode what it would issue. Copy the files to the node with
 * copy `src: certPaths(spec).crt` (and CA_CRT) afterwards. Run the CA role (or the CA play) first.
 */
export function issueCert(spec: (v: RoleVars) => CertSpec, options: { tags?: string[]; when?: (v: RoleVars) => boolean } = {}): TaskItem<RoleVars>[] {
  const { task } = dsl<CertVars>();
  const local = {
    delegate_to: 'localhost',
    become: false,
    ...(options.when ? { when: options.when } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
  };
  const items = [
    task('check the certificate on the controller', shell, (v) => ({ cmd: certProbeScript(spec(v)) }), {
      ...local,
      check_mode: false,
      changed_when: () => false,
      register: 'pki_cert_probe',
    }),
    task('issue the certificate with the Pigsty CA', shell, (v) => ({ cmd: issueScript(spec(v), validityDays(v.cert_validity)) }), {
      ...local,
      when: (v) => (options.when ? options.when(v) : true) && certOutdated(v.pki_cert_probe?.stdout ?? '', spec(v)) !== undefined,
    }),
  ];
  return items as TaskItem<RoleVars>[];
}
