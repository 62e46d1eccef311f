import { dsl } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import type { InfraRegisters, InfraVars } from '../infra-vars.ts';
import { ALERTMANAGER_CONFIG, alertmanagerEnv } from '../service-env.ts';
import { launchServiceTasks } from '../../service-launch.ts';

const { task, include } = dsl<InfraVars>();

/** [alertmanager]: Debian's Alertmanager on alertmanager_port with our routing, its state under infra_data. */
export const alertmanagerTasks = [
  include(
    'alertmanager',
    [
      task(
        'create the Alertmanager data directory',
        file,
        (v) => ({ path: `${v.infra_data}/alertmgr`, state: 'directory' as const, owner: 'prometheus', group: 'prometheus', mode: '0700' }),
        {
          tags: ['alertmanager_config'],
        },
      ),
      task(
        'configure Alertmanager',
        copy,
        (v) => ({ dest: '/etc/default/prometheus-alertmanager', owner: 'root', group: 'prometheus', mode: '0640', content: alertmanagerEnv(v) }),
        { tags: ['alertmanager_config'], register: 'alertmanager_env' },
      ),
      task(
        'render the Alertmanager routing',
        copy,
        {
          src: filesPath(import.meta.url, 'alertmanager.yml'),
          dest: ALERTMANAGER_CONFIG,
          // Alertmanager only reads it, and the receivers added to it may hold credentials.
          owner: 'root',
          group: 'prometheus',
          mode: '0640',
          validate: 'amtool check-config %s',
        },
        { tags: ['alertmanager_config'], register: 'alertmanager_conf' },
      ),
      ...launchServiceTasks<InfraVars, keyof InfraRegisters>({
        unit: 'prometheus-alertmanager',
        tags: ['alertmanager_launch'],
        reloadFiles: () => [ALERTMANAGER_CONFIG],
        restartFiles: () => ['/etc/default/prometheus-alertmanager'],
        restartOn: ['alertmanager_env'],
        reloadOn: ['alertmanager_conf'],
        pending: 'alertmanager_pending',
        launch: 'alertmanager_launch',
        port: (v) => v.alertmanager_port,
      }),
    ],
    { tags: ['alertmanager'], when: (v) => v.alertmanager_enabled },
  ),
];
