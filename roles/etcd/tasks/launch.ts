import { changed, dsl } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { healthScript, rootSecret } from '../etcdctl.ts';
import type { EtcdVars } from '../registers.ts';

const { task } = dsl<EtcdVars>();

/** Config, unit or certificate changed in this run: the member must restart to use them. */
const mustRestart = (v: EtcdVars): boolean => [v.etcd_conf_result, v.etcd_cert_result, v.etcd_key_result].some(changed);

export const launchTasks = [
  task(
    'launch etcd',
    systemd,
    (v) => ({
      name: 'etcd',
      state: mustRestart(v) ? ('restarted' as const) : ('started' as const),
      enabled: true,
      daemon_reload: changed(v.etcd_conf_result),
      wait_timeout: 60,
    }),
    {
      tags: ['etcd_launch'],
    },
  ),
  task('wait for the etcd client port', waitFor, (v) => ({ host: '127.0.0.1', port: v.etcd_port, state: 'started' as const, timeout: 60 }), {
    tags: ['etcd_launch'],
  }),
  task('check etcd health', shell, (v) => ({ cmd: healthScript(v.etcd_port), stdin: rootSecret(v) }), {
    tags: ['etcd_launch'],
    check_mode: false,
    changed_when: () => false,
    retries: 10,
    delay: 3,
    until: (r) => r.rc === 0,
  }),
];
