import { shq } from '../../../engine/shell-quote.ts';
import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { shell } from '../../../modules/shell.ts';
import { template, templatePath } from '../../../modules/template.ts';
import { pgEtcdUserTasks } from '../../etcd/tasks/pg-etcd-user.ts';
import { PATRONI_CONF_LINK, patroniConf, patroniConfPath } from '../patroni-conf.ts';
import { dbsu, type PgVars } from '../paths.ts';
import { pgsodiumKey } from '../pgsodium-key.ts';
import { required } from '../required.ts';
import { pgbackrestConfigTasks } from './backup.ts';

const { task, include } = dsl<PgVars>();

/** Size in bytes of the filesystem under pg_fs_main (or node_data); Pigsty assumes 40 GiB when neither exists yet. */
const FS_SIZE = (main: string, data: string): string =>
  [
    `if [ -d ${shq(main)} ]; then df -k --output=size ${shq(main)} | tail -n 1`,
    `elif [ -d ${shq(data)} ]; then df -k --output=size ${shq(data)} | tail -n 1`,
    'else echo 41943040; fi',
  ].join('\n');

/** The filesystem size the df task read, in bytes. */
export const fsBytes = (v: PgVars): number => {
  const kb = Number.parseInt(String(v.pg_fs_size?.stdout ?? '').trim(), 10);
  return (Number.isFinite(kb) && kb > 0 ? kb : 41943040) * 1024;
};

const confVars = (v: PgVars) => ({ conf: patroniConf(v, fsBytes(v)) });

/** Patroni's config and the units [pg_conf], the etcd account of the cluster [pg_conf, pg_etcd], the pgsodium key [pg_key]. */
export const configTasks: TaskItem<PgVars>[] = [
  ...(pgEtcdUserTasks() as TaskItem<PgVars>[]),
  include(
    'patroni config',
    [
      task('read the size of the postgres filesystem', shell, (v) => ({ cmd: FS_SIZE(v.pg_fs_main, v.node_data) }), {
        register: 'pg_fs_size',
        check_mode: false,
        changed_when: () => false,
      }),
      task('print postgres node spec', debug, (v) => {
        const { sizing } = patroniConf(v, fsBytes(v));
        return {
          msg: `node ${v.node_cpu}C ${v.node_mem_mb}MB, disk ${sizing.disk_gb}GB ${v.pg_storage_type} at ${v.pg_fs_main}; ${v.pg_conf}: max_connections ${sizing.max_connections}, shared_buffers ${sizing.shared_buffers}MB, work_mem ${sizing.work_mem}MB`,
        };
      }),
      // It holds the replication, REST API and etcd passwords: no diff.
      task(
        'render the patroni config',
        template,
        (v) => ({
          src: templatePath(import.meta.url, 'patroni.yml.hbs'),
          dest: patroniConfPath(required(v, 'pg_instance')),
          owner: dbsu(v),
          group: 'postgres',
          mode: '0640',
          vars: confVars(v),
        }),
        { register: 'pg_conf_result', no_log: true },
      ),
      task(
        'render the patroni and postgres units',
        template,
        (_v, name: string) => ({
          src: templatePath(import.meta.url, `${name}.service.hbs`),
          dest: `/etc/systemd/system/${name}.service`,
          owner: 'root',
          group: 'root',
          mode: '0644',
        }),
        { loop: ['patroni', 'postgres'], register: 'pg_units_result' },
      ),
      include('pgbackrest config', pgbackrestConfigTasks([]) as TaskItem<PgVars>[], { when: (v) => v.pgbackrest_enabled }),
      task('link the patroni config', file, (v) => ({
        path: PATRONI_CONF_LINK,
        src: patroniConfPath(required(v, 'pg_instance')),
        state: 'link' as const,
        owner: dbsu(v),
        group: 'postgres',
      })),
    ],
    { tags: ['pg_conf'] },
  ),
  include(
    'pgsodium key',
    [
      task(
        'write the pgsodium key',
        copy,
        (v) => ({
          dest: '/pg/conf/pgsodium.key',
          content: pgsodiumKey(v),
          owner: dbsu(v),
          group: 'postgres',
          mode: '0600',
        }),
        { no_log: true },
      ),
      task('write the pgsodium getkey script', copy, {
        dest: '/pg/bin/pgsodium_getkey',
        content: '#!/bin/sh\n# pgsodium.getkey_script: prints the server key written by the pgsql role\nexec cat /pg/conf/pgsodium.key\n',
        owner: 'root',
        group: 'postgres',
        mode: '0750',
      }),
    ],
    { tags: ['pg_key'] },
  ),
];
