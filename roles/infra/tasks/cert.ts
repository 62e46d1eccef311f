import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { issueCert } from '../../ca/tasks/issue-cert.ts';
import { certPaths, type CertSpec } from '../../ca/pki.ts';
import type { RoleVars } from '../../vars.ts';
import type { InfraVars } from '../infra-vars.ts';

const { task, include } = dsl<InfraVars>();

/** The infra host's certificate (Pigsty's infra-<seq>): VictoriaMetrics' client certificate towards etcd. */
const infraCert = (v: RoleVars): CertSpec => ({
  dir: 'infra',
  name: `infra-${v.infra_seq}`,
  cn: v.inventory_hostname,
  ou: 'infra',
  sans: ['DNS:localhost', `DNS:${v.nodename ?? v.inventory_hostname}`, 'IP:127.0.0.1', `IP:${v.inventory_hostname}`],
});

/**
 * The infra key's group: VictoriaMetrics' alone, the one service that uses the key (to scrape etcd); group infra
 * would give it to every service user in it (prometheus runs Alertmanager and the blackbox exporter).
 */
export const infraKeyGroup = (v: Pick<RoleVars, 'vmetrics_enabled'>): string => (v.vmetrics_enabled ? '_victoria-metrics' : 'root');

/** [infra_cert]: issue it on the controller with the Pigsty CA, then copy it, its key readable by VictoriaMetrics only. */
export const certTasks = [
  include(
    'infra cert',
    [
      ...(issueCert(infraCert, { tags: ['infra_cert_issue'] }) as TaskItem<InfraVars>[]),
      task(
        'copy the infra certificate',
        copy,
        (v) => ({ src: certPaths(infraCert(v)).crt, dest: '/etc/pki/infra.crt', owner: 'root', group: 'infra', mode: '0644' }),
        {
          tags: ['infra_cert_copy'],
          register: 'infra_cert_copy',
        },
      ),
      task(
        'copy the infra key',
        copy,
        (v) => ({ src: certPaths(infraCert(v)).key, dest: '/etc/pki/infra.key', owner: 'root', group: infraKeyGroup(v), mode: '0640' }),
        {
          tags: ['infra_cert_copy'],
          no_log: true,
        },
      ),
    ],
    { tags: ['infra_cert'] },
  ),
];
