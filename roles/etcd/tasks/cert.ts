import { existsSync } from 'node:fs';
import { dsl } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { shell } from '../../../modules/shell.ts';
import { validityDays } from '../../ca/pki.ts';
import { caCertPath, caScript, etcdCertPath, etcdKeyPath, leafScript, leafUsable } from '../etcd-certs.ts';
import { instanceOf } from '../etcd-members.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

/** [etcd_cert_issue]: the CA once when missing, then a certificate per member unless it has a usable one, on the controller. */
const issueTasks = [
  task('make the CA on the controller', shell, (v) => ({ cmd: caScript(v.ca_cn, v.ca_create) }), {
    tags: ['etcd_cert', 'etcd_cert_issue'],
    delegate_to: 'localhost',
    run_once: true,
    become: false,
    when: () => !existsSync(caCertPath()),
  }),
  task(
    'issue the etcd member certificate on the controller',
    shell,
    (v) => ({ cmd: leafScript(v.inventory_hostname, instanceOf(v), validityDays(v.cert_validity)) }),
    {
      tags: ['etcd_cert', 'etcd_cert_issue'],
      delegate_to: 'localhost',
      become: false,
      when: (v) => !leafUsable(instanceOf(v), v.inventory_hostname),
    },
  ),
];

export const certTasks = [
  ...issueTasks,
  task(
    'copy the CA and member certificates',
    copy,
    (v, item: { src: string; dest: string }) => ({
      src: item.src === 'ca' ? caCertPath() : etcdCertPath(instanceOf(v)),
      dest: item.dest,
      owner: 'etcd',
      group: 'etcd',
      mode: '0644',
    }),
    {
      tags: ['etcd_cert', 'etcd_cert_copy'],
      register: 'etcd_cert_result',
      loop: [
        { src: 'ca', dest: '/etc/etcd/ca.crt' },
        { src: 'server', dest: '/etc/etcd/server.crt' },
      ],
    },
  ),
  task(
    'copy the member key',
    copy,
    (v) => ({ src: etcdKeyPath(instanceOf(v)), dest: '/etc/etcd/server.key', owner: 'etcd', group: 'etcd', mode: '0600' }),
    {
      tags: ['etcd_cert', 'etcd_cert_copy'],
      register: 'etcd_key_result',
      no_log: true,
    },
  ),
];
