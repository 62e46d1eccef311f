import { dsl } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { shell } from '../../../modules/shell.ts';
import { template, templatePath } from '../../../modules/template.ts';
import type { HaproxyService } from '../../params.ts';
import type { HaproxyVars } from '../haproxy-vars.ts';
import { cfgQuote, HAPROXY_CFG, HAPROXY_CONF_DIR, HAPROXY_MAXCONN, haproxyMaxconn, haproxyServicePath, renderHaproxyService } from '../render.ts';

const { task, include } = dsl<HaproxyVars>();

/** haproxy.cfg sized for the node's open-file limit, and one conf.d file per haproxy_services entry. */
export const configTasks = [
  include(
    'configure haproxy',
    [
      task(
        "read the open-file limit of the node's services",
        shell,
        { cmd: "sed -n 's/^Max open files *[^ ]* *\\([^ ]*\\).*/\\1/p' /proc/1/limits" },
        {
          check_mode: false,
          changed_when: () => false,
          register: 'haproxy_nofile',
        },
      ),
      task(
        'note the reduced connection limit',
        debug,
        (v) => ({
          msg: `haproxy: global maxconn ${haproxyMaxconn(v.haproxy_nofile?.stdout)} instead of ${HAPROXY_MAXCONN}: services on this node may open only ${v.haproxy_nofile?.stdout} files.`,
        }),
        { when: (v) => haproxyMaxconn(v.haproxy_nofile?.stdout) < HAPROXY_MAXCONN },
      ),
      task('wipe the haproxy configuration', shell, { cmd: `rm -f ${HAPROXY_CFG} ${HAPROXY_CONF_DIR}/*.cfg` }, { when: (v) => v.haproxy_clean }),
      task(
        'render haproxy.cfg',
        template,
        (v) => ({
          src: templatePath(import.meta.url, 'haproxy.cfg.hbs'),
          dest: HAPROXY_CFG,
          owner: 'root',
          group: 'root',
          mode: '0600',
          vars: {
            haproxy_maxconn: haproxyMaxconn(v.haproxy_nofile?.stdout),
            haproxy_admin_user: cfgQuote(v.haproxy_admin_username),
            haproxy_admin_secret: cfgQuote(v.haproxy_admin_password),
          },
        }),
        { register: 'haproxy_cfg', no_log: true },
      ),
      task(
        'render the haproxy services',
        copy,
        (v, service: HaproxyService) => ({
          dest: haproxyServicePath(service.name),
          owner: 'root',
          group: 'root',
          mode: '0644',
          content: renderHaproxyService(service, `${v.nodename ?? v.inventory_hostname} (${v.inventory_hostname})`),
        }),
        { loop: (v) => v.haproxy_services, register: 'haproxy_svc', when: (v) => v.haproxy_services.length > 0 },
      ),
    ],
    { tags: ['haproxy_config'], when: (v) => v.haproxy_enabled },
  ),
];
