import { dsl } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import { pkg } from '../../../modules/package.ts';
import type { HaproxyVars } from '../haproxy-vars.ts';
import { HAPROXY_CONF_DIR, HAPROXY_UNIT } from '../render.ts';

const { task, include } = dsl<HaproxyVars>();

/** The package, its config directories, and a unit that loads conf.d; then which unit file systemd runs. */
export const installTasks = [
  include(
    'install haproxy',
    [
      task('install haproxy', pkg, { name: 'haproxy', update_cache: true, cache_valid_time: 86400 }),
      task(
        'create the haproxy config directories',
        file,
        (_v, path: string) => ({ path, state: 'directory' as const, owner: 'root', mode: '0700' }),
        {
          loop: ['/etc/haproxy', HAPROXY_CONF_DIR],
        },
      ),
      task('create the haproxy environment file', file, { path: '/etc/default/haproxy', state: 'touch', mode: '0644' }),
      task(
        'install the haproxy unit that loads conf.d',
        copy,
        { src: filesPath(import.meta.url, 'haproxy.service'), dest: HAPROXY_UNIT, mode: '0644' },
        {
          register: 'haproxy_unit',
        },
      ),
      task(
        'find the unit file systemd uses for haproxy',
        command,
        { argv: ['systemctl', 'show', '-p', 'FragmentPath', 'haproxy.service'] },
        {
          check_mode: false,
          changed_when: () => false,
          register: 'haproxy_fragment',
        },
      ),
    ],
    { tags: ['haproxy_install'], when: (v) => v.haproxy_enabled },
  ),
];
