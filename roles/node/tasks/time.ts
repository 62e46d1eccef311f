import { changed, dsl } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { cron } from '../../../modules/cron.ts';
import { file } from '../../../modules/file.ts';
import { pkg } from '../../../modules/package.ts';
import { systemd } from '../../../modules/systemd.ts';
import { template, templatePath } from '../../../modules/template.ts';
import { timezone } from '../../../modules/timezone.ts';
import { CHRONY_DROPIN, CHRONY_DROPIN_CONTENT, chronySources } from '../chrony-files.ts';
import { crontabContent } from '../crontab.ts';
import type { NodeVars } from '../node-vars.ts';
import { notice } from '../notice.ts';
import { dropInTasks } from '../../systemd-dropin.ts';
import { canSetClock, containerOf } from '../virt-probe.ts';

const { task, include } = dsl<NodeVars>();

const deb = (v: NodeVars) => v.os_package !== 'rpm';

const chronyChanged = (v: NodeVars) => changed(v.node_chrony_conf) || changed(v.node_chrony_dropin);

export const timeTasks = [
  task('set the time zone', timezone, (v) => ({ name: v.node_timezone }), {
    tags: ['node_timezone'],
    when: (v) => v.node_timezone !== '',
  }),
  include(
    'time synchronization',
    [
      task('install chrony', pkg, { name: 'chrony', update_cache: true, cache_valid_time: 86400 }, { tags: ['node_ntp_install'] }),
      task(
        'write the chrony configuration',
        template,
        (v) => ({
          src: templatePath(import.meta.url, 'chrony.conf.hbs'),
          dest: deb(v) ? '/etc/chrony/chrony.conf' : '/etc/chrony.conf',
          owner: 'root',
          mode: '0644',
          vars: { chrony_sources: chronySources(v) },
        }),
        { tags: ['node_ntp_config'], register: 'node_chrony_conf' },
      ),
      ...dropInTasks<NodeVars>({
        path: CHRONY_DROPIN,
        what: 'chrony',
        name: 'let chronyd run without setting the clock',
        source: { content: CHRONY_DROPIN_CONTENT },
        tags: ['node_ntp_config'],
        register: 'node_chrony_dropin',
        when: (v) => deb(v) && !canSetClock(v),
      }),
      task(
        'let chronyd set the clock',
        file,
        { path: CHRONY_DROPIN, state: 'absent' },
        {
          tags: ['node_ntp_config'],
          when: (v) => deb(v) && canSetClock(v),
          register: 'node_chrony_dropin',
        },
      ),
      notice(
        'chrony does not set the clock here',
        (v) =>
          `node_ntp: chrony is configured and running with -x: this ${containerOf(v) ?? 'node'} lacks CAP_SYS_TIME, so the clock stays the host's.`,
        { tags: ['node_ntp_config'], when: (v) => !canSetClock(v) },
      ),
      task(
        'launch chrony',
        systemd,
        (v) => ({
          name: deb(v) ? 'chrony' : 'chronyd',
          enabled: true,
          state: chronyChanged(v) ? 'restarted' : 'started',
          daemon_reload: changed(v.node_chrony_dropin),
        }),
        {
          tags: ['node_ntp_launch'],
        },
      ),
    ],
    { tags: ['node_ntp'], when: (v) => v.node_ntp_enabled },
  ),
  include(
    'crontab',
    [
      task('launch cron', systemd, (v) => ({ name: deb(v) ? 'cron' : 'crond', state: 'started', enabled: true })),
      task(
        'overwrite /etc/crontab with node_crontab',
        copy,
        (v) => ({ dest: '/etc/crontab', owner: 'root', mode: '0644', content: crontabContent(v.node_crontab) }),
        {
          when: (v) => v.node_crontab.length > 0 && v.node_crontab_overwrite,
        },
      ),
      task('add node_crontab to /etc/crontab', cron, (v) => ({ name: 'node_crontab', path: '/etc/crontab', lines: v.node_crontab }), {
        when: (v) => v.node_crontab.length > 0 && !v.node_crontab_overwrite,
      }),
    ],
    { tags: ['node_crontab'] },
  ),
];
