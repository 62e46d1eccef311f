import { dsl } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import { launchServiceTasks } from '../../service-launch.ts';
import { defaultRecords, DNSMASQ_CONF, dnsmasqConf, hostsFile, HOSTS_DIR } from '../dnsmasq-files.ts';
import type { InfraRegisters, InfraVars } from '../infra-vars.ts';

const { task, include } = dsl<InfraVars>();

/**
 * [dns]: Debian's dnsmasq on dns_port answering for the files under /infra/hosts: dns_records, and the records other
 * roles write there (pgsql: each instance and cluster). Files appear and change without a restart (inotify).
 */
export const dnsTasks = [
  include(
    'dns',
    [
      // root's, read by dnsmasq: the service user can neither add names nor swap root's files for links.
      task(
        'create the DNS records directory',
        file,
        { path: HOSTS_DIR, state: 'directory', owner: 'root', group: 'root', mode: '0755' },
        {
          tags: ['dns_dir'],
        },
      ),
      task(
        'configure dnsmasq',
        copy,
        (v) => ({ dest: DNSMASQ_CONF, owner: 'root', group: 'root', mode: '0644', content: dnsmasqConf(v), validate: 'dnsmasq --test -C %s' }),
        { tags: ['dns_config'], register: 'dns_conf' },
      ),
      task(
        'write the default DNS records',
        copy,
        (v) => ({ dest: hostsFile('default'), owner: 'root', group: 'root', mode: '0644', content: defaultRecords(v) }),
        { tags: ['dns_record'] },
      ),
      ...launchServiceTasks<InfraVars, keyof InfraRegisters>({
        unit: 'dnsmasq',
        tags: ['dns_launch'],
        restartFiles: () => [DNSMASQ_CONF],
        restartOn: ['dns_conf'],
        pending: 'dns_pending',
        launch: 'dns_launch',
        port: (v) => v.dns_port,
      }),
    ],
    { tags: ['dns'], when: (v) => v.dns_enabled },
  ),
];
