import { dsl } from '../../../engine/dsl.ts';
import { shq } from '../../../engine/shell-quote.ts';
import { authorizedKey } from '../../../modules/authorized-key.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import { group } from '../../../modules/group.ts';
import { lineinfile } from '../../../modules/lineinfile.ts';
import { shell } from '../../../modules/shell.ts';
import { sudoers } from '../../../modules/sudoers.ts';
import { user } from '../../../modules/user.ts';
import { controllerPublicKeys, exchangedKeys } from '../admin-keys.ts';
import { aliasScript } from '../alias-script.ts';
import type { NodeVars } from '../node-vars.ts';

const { task, include } = dsl<NodeVars>();

const home = (v: NodeVars): string => `/home/${v.node_admin_username}`;

/** What the admin group may run without a password under node_admin_sudo: limit. */
export const LIMITED_SUDO = ['/bin/systemctl', '/usr/bin/journalctl', '/bin/cat', '/bin/less', '/bin/tail', '/bin/head'];

const profileTasks = [
  task(
    'write /etc/profile.d/node.sh',
    copy,
    { src: filesPath(import.meta.url, 'node.sh'), dest: '/etc/profile.d/node.sh', mode: '0644' },
    { tags: ['node_profile'] },
  ),
  task('write the node_aliases', copy, (v) => ({ dest: '/etc/profile.d/node.alias.sh', mode: '0644', content: aliasScript(v.node_aliases) }), {
    tags: ['node_alias'],
    when: (v) => Object.keys(v.node_aliases).length > 0,
  }),
  task(
    'use a pip mirror in China',
    copy,
    {
      dest: '/etc/pip.conf',
      mode: '0644',
      content: '[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\ntrusted-host = pypi.tuna.tsinghua.edu.cn\n',
    },
    { tags: ['node_pip'], when: (v) => v.region === 'china' },
  ),
  task(
    'set the PAM resource limits',
    copy,
    { src: filesPath(import.meta.url, 'limits.conf'), dest: '/etc/security/limits.d/limits.conf', mode: '0644' },
    {
      tags: ['node_ulimit'],
    },
  ),
  task(
    'create the node data directory',
    file,
    (v) => ({ path: v.node_data, state: 'directory' as const, owner: 'root', group: 'root', mode: '0755' }),
    {
      tags: ['node_data'],
      when: (v) => v.node_data !== '' && v.node_data !== '/',
    },
  ),
];

const adminUserTasks = [
  include(
    'admin user',
    [
      task('create the admin group', group, (v) => ({ name: 'admin', gid: v.node_admin_uid })),
      include(
        'admin user, sudo and ssh keys',
        [
          task('create the admin user', user, (v) => ({
            name: v.node_admin_username,
            uid: v.node_admin_uid,
            home: home(v),
            shell: '/bin/bash',
            groups: ['admin'],
            append: true,
            generate_ssh_key: true,
          })),
          task('add the connecting user to the admin group', user, (v) => ({ name: v.node_user as string, groups: ['admin'], append: true }), {
            when: (v) => v.node_user !== undefined && v.node_user !== '' && v.node_user !== 'root' && v.node_user !== v.node_admin_username,
            ignore_errors: true,
          }),
          task('grant the admin group sudo', sudoers, (v) => ({
            name: v.node_admin_username,
            user: '%admin',
            mode: v.node_admin_sudo,
            ...(v.node_admin_sudo === 'limit' ? { commands: LIMITED_SUDO } : {}),
          })),
          task("skip host key checks in the admin user's ssh client", lineinfile, (v) => ({
            path: `${home(v)}/.ssh/config`,
            regexp: '^StrictHostKeyChecking',
            line: 'StrictHostKeyChecking=no',
            create: true,
            owner: v.node_admin_username,
            group: 'admin',
            mode: '0600',
          })),
          // Read as the admin user, whose home it is: as root, a link planted there could show any file root can read.
          task("read the admin user's public key", shell, (v) => ({ cmd: `cat ${shq(`${home(v)}/.ssh/id_rsa.pub`)} 2>/dev/null || true` }), {
            become_user: (v) => v.node_admin_username,
            check_mode: false,
            changed_when: () => false,
            register: 'node_admin_pubkey',
          }),
          task(
            "exchange the admin users' keys among the play hosts",
            authorizedKey,
            (v) => ({ user: v.node_admin_username, key: exchangedKeys(v).join('\n') }),
            {
              when: (v) => v.node_admin_ssh_exchange && exchangedKeys(v).length > 0,
              ignore_errors: true,
            },
          ),
          task(
            'add node_admin_pk_list to the admin user',
            authorizedKey,
            (v) => ({ user: v.node_admin_username, key: v.node_admin_pk_list.join('\n') }),
            {
              tags: ['node_admin_pk_list'],
              when: (v) => v.node_admin_pk_list.length > 0,
              ignore_errors: true,
            },
          ),
          task(
            "add the controller user's keys to the admin user",
            authorizedKey,
            (v) => ({ user: v.node_admin_username, key: controllerPublicKeys().join('\n') }),
            {
              tags: ['node_admin_pk_current'],
              when: (v) => v.node_admin_pk_current && controllerPublicKeys().length > 0,
            },
          ),
        ],
        { when: (v) => v.node_admin_enabled },
      ),
    ],
    { tags: ['node_admin'] },
  ),
];

/** Pigsty's admin step: the shell profile, aliases, pip mirror, limits and data directory, then the admin user. */
export const adminTasks = [...profileTasks, ...adminUserTasks];
