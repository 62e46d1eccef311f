import { changed, dsl, type TaskResult } from '../../engine/dsl.ts';
import { copy } from '../../modules/copy.ts';
import { debug } from '../../modules/debug.ts';
import { file } from '../../modules/file.ts';
import { pkg } from '../../modules/package.ts';
import { shell } from '../../modules/shell.ts';
import { systemd } from '../../modules/systemd.ts';
import { template, templatePath } from '../../modules/template.ts';
import { waitFor } from '../../modules/wait-for.ts';
import type { RoleVars } from '../vars.ts';
import {
  authEnableScript,
  authProbeScript,
  checkPassword,
  healthScript,
  keyValues,
  memberAddScript,
  memberListScript,
  memberPeerUrls,
} from './etcdctl.ts';
import { etcdEndpoints, etcdIdentityProblems, initialCluster, otherEndpoints } from './identity.ts';
import { caCertPath, etcdCertPath, etcdKeyPath, instanceOf, issueTasks } from './pki.ts';

/** Registers the role reads back. */
type EtcdVars = RoleVars & {
  etcd_conf_result?: TaskResult;
  etcd_cert_result?: TaskResult;
  etcd_key_result?: TaskResult;
  etcd_member_list?: TaskResult;
  etcd_auth_state?: TaskResult;
};

const { task, include, role } = dsl<EtcdVars>();

/** Where Debian's etcd-server keeps the single-node member its postinst starts (ETCD_DATA_DIR of its unit). */
export const DEBIAN_DEFAULT_DATA = '/var/lib/etcd/default';

const peerUrl = (v: RoleVars): string => `https://${v.inventory_hostname}:${v.etcd_peer_port}`;
const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir.replace(/\/+$/, '')}/`);
const rootSecret = (v: RoleVars): string => {
  checkPassword('etcd_root_password', v.etcd_root_password);
  return `${v.etcd_root_password}\n`;
};
/** Config, unit or certificate changed in this run: the member must restart to use them. */
const mustRestart = (v: EtcdVars): boolean => [v.etcd_conf_result, v.etcd_cert_result, v.etcd_key_result].some(changed);
/** Variables the templates compute from the whole group. */
const configVars = (v: RoleVars) => ({ etcd_instance: instanceOf(v), etcd_initial_cluster: initialCluster(v), etcd_endpoints: etcdEndpoints(v) });

const assertTasks = [
  task(
    'assert etcd identity',
    debug,
    (v) => {
      const problems = etcdIdentityProblems(v);
      return { msg: problems.length ? problems.join('; ') : `${instanceOf(v)} of etcd cluster ${v.etcd_cluster}` };
    },
    { tags: ['etcd_assert'], failed_when: (_r, v) => etcdIdentityProblems(v).length > 0 },
  ),
];

const installTasks = [
  task('install etcd', pkg, { name: 'etcd', aliases: true, update_cache: true, cache_valid_time: 86400 }, { tags: ['etcd_install'] }),
  // Debian's postinst starts a single-node member from /etc/default/etcd (data in /var/lib/etcd/default, listening on
  // localhost at etcd's stock client port, the one etcd_port defaults to). Stop it before the real member is
  // configured, and drop its data so nothing of it lingers. The directory is the guard: once it is gone (or was never
  // made) there is nothing to do.
  task(
    'stop the default member Debian started and remove its data',
    shell,
    {
      cmd: [
        'if ! grep -qs -- "--config-file /etc/etcd/etcd.conf" /etc/systemd/system/etcd.service; then systemctl stop etcd.service || true; fi',
        `rm -rf -- ${DEBIAN_DEFAULT_DATA}`,
      ].join('\n'),
      removes: DEBIAN_DEFAULT_DATA,
    },
    { tags: ['etcd_install'], when: (v) => !under(v.etcd_data, DEBIAN_DEFAULT_DATA) },
  ),
];

const dirTasks = [
  task('create the node data directory', file, (v) => ({ path: v.node_data, state: 'directory' as const, owner: 'root', group: 'root' }), {
    tags: ['etcd_dir'],
    when: (v) => under(v.etcd_data, v.node_data),
  }),
  task(
    'create etcd directories',
    file,
    (_v, item: { path: string; mode: string }) => ({ path: item.path, state: 'directory' as const, owner: 'etcd', group: 'etcd', mode: item.mode }),
    {
      tags: ['etcd_dir'],
      loop: (v) => [
        { path: '/etc/etcd', mode: '0750' },
        { path: '/var/lib/etcd', mode: '0770' },
        { path: v.etcd_data, mode: '0700' },
      ],
    },
  ),
];

const confTasks = [
  task('show the client endpoints', debug, (v) => ({ msg: `ETCDCTL_ENDPOINTS=${etcdEndpoints(v)}` }), { tags: ['etcd_conf'] }),
  task(
    'write etcd config and unit',
    template,
    (v, item: { src: string; dest: string; owner: string; group: string }) => ({
      src: templatePath(import.meta.url, item.src),
      dest: item.dest,
      owner: item.owner,
      group: item.group,
      mode: '0644',
      vars: configVars(v),
    }),
    {
      tags: ['etcd_conf'],
      register: 'etcd_conf_result',
      loop: [
        { src: 'etcd.conf.hbs', dest: '/etc/etcd/etcd.conf', owner: 'etcd', group: 'etcd' },
        { src: 'etcd.service.hbs', dest: '/etc/systemd/system/etcd.service', owner: 'root', group: 'root' },
      ],
    },
  ),
  task('write the etcd root password', copy, (v) => ({ dest: '/etc/etcd/etcd.pass', content: v.etcd_root_password, owner: 'root', group: 'etcd', mode: '0640' }), {
    tags: ['etcd_conf'],
    no_log: true,
  }),
  task(
    'write etcdctl defaults for login shells',
    template,
    (v) => ({ src: templatePath(import.meta.url, 'etcdctl.sh.hbs'), dest: '/etc/profile.d/etcdctl.sh', owner: 'root', group: 'root', mode: '0644', vars: configVars(v) }),
    { tags: ['etcd_conf'] },
  ),
];

const certTasks = [
  ...issueTasks,
  task(
    'copy the CA and member certificates',
    copy,
    (v, item: { src: string; dest: string }) => ({ src: item.src === 'ca' ? caCertPath() : etcdCertPath(instanceOf(v)), dest: item.dest, owner: 'etcd', group: 'etcd', mode: '0644' }),
    {
      tags: ['etcd_cert', 'etcd_cert_copy'],
      register: 'etcd_cert_result',
      loop: [
        { src: 'ca', dest: '/etc/etcd/ca.crt' },
        { src: 'server', dest: '/etc/etcd/server.crt' },
      ],
    },
  ),
  task('copy the member key', copy, (v) => ({ src: etcdKeyPath(instanceOf(v)), dest: '/etc/etcd/server.key', owner: 'etcd', group: 'etcd', mode: '0600' }), {
    tags: ['etcd_cert', 'etcd_cert_copy'],
    register: 'etcd_key_result',
    no_log: true,
  }),
];

/** A joining member is registered through the others before it starts (etcd_init: existing); once listed, nothing to do. */
const memberTasks = [
  task('list the members of the running cluster', shell, (v) => ({ cmd: memberListScript(otherEndpoints(v)), stdin: rootSecret(v) }), {
    tags: ['etcd_member'],
    when: (v) => v.etcd_init === 'existing',
    register: 'etcd_member_list',
    check_mode: false,
    changed_when: () => false,
  }),
  task(
    'add this member to the running cluster',
    shell,
    (v) => ({ cmd: memberAddScript(otherEndpoints(v), instanceOf(v), peerUrl(v), v.etcd_learner), stdin: rootSecret(v) }),
    {
      tags: ['etcd_member'],
      when: (v) => v.etcd_init === 'existing' && !memberPeerUrls(v.etcd_member_list?.stdout).includes(peerUrl(v)),
    },
  ),
];

const launchTasks = [
  task('launch etcd', systemd, (v) => ({ name: 'etcd', state: mustRestart(v) ? ('restarted' as const) : ('started' as const), enabled: true, daemon_reload: changed(v.etcd_conf_result), wait_timeout: 60 }), {
    tags: ['etcd_launch'],
  }),
  task('wait for the etcd client port', waitFor, (v) => ({ host: '127.0.0.1', port: v.etcd_port, state: 'started' as const, timeout: 60 }), { tags: ['etcd_launch'] }),
  task('check etcd health', shell, (v) => ({ cmd: healthScript(v.etcd_port), stdin: rootSecret(v) }), {
    tags: ['etcd_launch'],
    check_mode: false,
    changed_when: () => false,
    retries: 10,
    delay: 3,
    until: (r) => r.rc === 0,
  }),
];

/** Root user and `auth enable` once per cluster, after reading whether auth is on already. */
const authTasks = [
  task('read etcd auth state', shell, (v) => ({ cmd: authProbeScript(etcdEndpoints(v)), stdin: rootSecret(v) }), {
    tags: ['etcd_auth'],
    run_once: true,
    register: 'etcd_auth_state',
    check_mode: false,
    changed_when: () => false,
  }),
  task('create the root user and enable etcd auth', shell, (v) => ({ cmd: authEnableScript(etcdEndpoints(v)), stdin: rootSecret(v) }), {
    tags: ['etcd_auth'],
    run_once: true,
    when: (v) => keyValues(v.etcd_auth_state?.stdout).auth === 'off',
  }),
];

const registerTasks = [
  task(
    'register etcd to victoria metrics',
    debug,
    (v) => ({
      msg:
        `skipped: ${instanceOf(v)} is not registered as a scrape target (/infra/targets/etcd/${instanceOf(v)}.yml on the infra nodes): ` +
        'the infra role (VictoriaMetrics) is not part of this deployment',
    }),
    { tags: ['etcd_register', 'register', 'add_metrics'] },
  ),
];

/**
 * etcd: the DCS of Patroni, one member per host of the group named etcd_cluster, with mutual TLS from Pigsty's CA
 * and RBAC auth. Debian 12's etcd-server 3.4, run by Pigsty's own unit from /etc/etcd/etcd.conf.
 */
export const etcd = role({
  name: 'etcd',
  tasks: [
    ...assertTasks,
    ...installTasks,
    ...dirTasks,
    include('configure etcd', [...confTasks, ...certTasks], { tags: ['etcd_config'] }),
    ...memberTasks,
    ...launchTasks,
    ...authTasks,
    ...registerTasks,
  ],
});

