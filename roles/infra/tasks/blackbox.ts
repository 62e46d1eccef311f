import { dsl } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { shell } from '../../../modules/shell.ts';
import type { InfraRegisters, InfraVars } from '../infra-vars.ts';
import { BLACKBOX_CONFIG, blackboxEnv } from '../service-env.ts';
import { launchServiceTasks } from '../../service-launch.ts';

const { task, include } = dsl<InfraVars>();

const BLACKBOX_BIN = '/usr/bin/prometheus-blackbox-exporter';

/**
 * ICMP probes need CAP_NET_RAW on the binary, which Debian's postinst sets only when debconf says so (default no);
 * an empty capability set left by the default also drops a unit's ambient capabilities, so the debconf answer and a
 * reconfigure are the one way.
 */
const capTasks = [
  task(
    'read the capabilities of the blackbox exporter',
    shell,
    { cmd: `getcap ${BLACKBOX_BIN} 2>/dev/null; true` },
    {
      check_mode: false,
      changed_when: () => false,
      register: 'blackbox_cap',
    },
  ),
  task(
    'let the blackbox exporter send ICMP',
    shell,
    {
      cmd:
        "echo 'prometheus-blackbox-exporter prometheus-blackbox-exporter/want_cap_net_raw boolean true' | debconf-set-selections && " +
        'DEBIAN_FRONTEND=noninteractive dpkg-reconfigure -f noninteractive prometheus-blackbox-exporter',
    },
    { when: (v) => !/cap_net_raw[=+]?e?p/.test(String(v.blackbox_cap?.stdout ?? '')) },
  ),
];

/** [blackbox]: Debian's blackbox exporter on blackbox_port with Pigsty's probe modules, allowed to ping. */
export const blackboxTasks = [
  include(
    'blackbox',
    [
      ...capTasks,
      task(
        'configure the blackbox exporter',
        copy,
        (v) => ({ dest: '/etc/default/prometheus-blackbox-exporter', owner: 'root', group: 'prometheus', mode: '0640', content: blackboxEnv(v) }),
        {
          tags: ['blackbox_config'],
          register: 'blackbox_env',
        },
      ),
      task(
        'render the blackbox probe modules',
        copy,
        {
          src: filesPath(import.meta.url, 'blackbox.yml'),
          dest: BLACKBOX_CONFIG,
          // The exporter only reads it: a file of its user's would let that user rewrite its probes.
          owner: 'root',
          group: 'prometheus',
          mode: '0640',
          validate: `${BLACKBOX_BIN} --config.file=%s --config.check`,
        },
        { tags: ['blackbox_config'], register: 'blackbox_conf' },
      ),
      ...launchServiceTasks<InfraVars, keyof InfraRegisters>({
        unit: 'prometheus-blackbox-exporter',
        tags: ['blackbox_launch'],
        reloadFiles: () => [BLACKBOX_CONFIG],
        restartFiles: () => ['/etc/default/prometheus-blackbox-exporter'],
        restartOn: ['blackbox_env'],
        reloadOn: ['blackbox_conf'],
        pending: 'blackbox_pending',
        launch: 'blackbox_launch',
        port: (v) => v.blackbox_port,
        restartWhen: (v) => v.blackbox_cap !== undefined && !/cap_net_raw/.test(String(v.blackbox_cap.stdout ?? '')),
      }),
    ],
    { tags: ['blackbox'], when: (v) => v.blackbox_enabled },
  ),
];
