import { shq } from '../../../engine/shell-quote.ts';
import { dsl } from '../../../engine/dsl.ts';
import { authorizedKey } from '../../../modules/authorized-key.ts';
import { command } from '../../../modules/command.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { group } from '../../../modules/group.ts';
import { lineinfile } from '../../../modules/lineinfile.ts';
import { pkg } from '../../../modules/package.ts';
import { shell } from '../../../modules/shell.ts';
import { stat } from '../../../modules/stat.ts';
import { sudoers } from '../../../modules/sudoers.ts';
import { systemd } from '../../../modules/systemd.ts';
import { template, templatePath } from '../../../modules/template.ts';
import { user } from '../../../modules/user.ts';
import { asDbsu, backupDir, clusterDir, dbsu, dbsuSudoCommands, dbsuUid, pgHome, type PgVars } from '../paths.ts';
import { required } from '../required.ts';

const { task, include } = dsl<PgVars>();

const deb = (v: PgVars): boolean => v.os_package === 'deb';
const lookup = (v: PgVars): string => String(v.pg_dbsu_lookup?.stdout ?? '');
/** Pigsty lists are one string per line, each holding names separated by spaces or commas. */
const words = (lists: string[]): string[] => lists.flatMap((l) => l.split(/[\s,]+/)).filter(Boolean);

const accountTasks = [
  // Debian's postgresql-common makes a postgres user when none exists; one made earlier (by it or by hand) keeps its uid.
  task(
    'look up the dbsu and its group',
    shell,
    (v) => ({ cmd: `getent group postgres >/dev/null && echo group; getent passwd ${shq(dbsu(v))} >/dev/null && echo user; true` }),
    { register: 'pg_dbsu_lookup', check_mode: false, changed_when: () => false, tags: ['pg_dbsu_create'] },
  ),
  task('create os group postgres', group, (v) => ({ name: 'postgres', ...(lookup(v).includes('group') ? {} : { gid: dbsuUid(v) }) }), {
    tags: ['pg_dbsu_create'],
  }),
  task(
    'create the dbsu',
    user,
    (v) => ({
      name: dbsu(v),
      ...(lookup(v).includes('user') ? {} : { uid: dbsuUid(v) }),
      home: v.pg_dbsu_home,
      group: 'postgres',
      groups: ['postgres'],
      append: true,
      shell: '/bin/bash',
      comment: 'PostgreSQL database superuser',
    }),
    { tags: ['pg_dbsu_create'] },
  ),
  // An existing dbsu moved to pg_dbsu_home gets the directory here, before its key pair is made in it.
  task('create the dbsu home', file, (v) => ({ path: v.pg_dbsu_home, state: 'directory' as const, owner: dbsu(v), group: 'postgres' }), {
    tags: ['pg_dbsu_create'],
  }),
  task('create the dbsu ssh key', user, (v) => ({ name: dbsu(v), generate_ssh_key: true, ssh_key_type: 'rsa' }), { tags: ['pg_dbsu_create'] }),
  task(
    'grant the dbsu sudo privileges',
    sudoers,
    (v) => {
      const mode = v.pg_dbsu_sudo;
      if (mode === 'none') return { name: 'postgres', state: 'absent' };
      if (mode === 'limit') return { name: 'postgres', user: '%postgres', mode: 'limit', commands: dbsuSudoCommands(dbsu(v)) };
      return { name: 'postgres', user: dbsu(v), mode };
    },
    { tags: ['pg_dbsu_sudo'] },
  ),
  task(
    'let the dbsu ssh to new hosts without asking',
    lineinfile,
    (v) => ({
      path: `${v.pg_dbsu_home}/.ssh/config`,
      regexp: '^StrictHostKeyChecking',
      line: 'StrictHostKeyChecking=no',
      create: true,
      owner: dbsu(v),
      group: 'postgres',
      mode: '0600',
    }),
    // As the dbsu, in the dbsu's own home: a symlink planted there reaches only what the dbsu could write anyway.
    { tags: ['pg_ssh'], become_user: (v) => dbsu(v) },
  ),
  // Read as the dbsu: as root, a link the dbsu planted there would hand any file root can read to the run's output.
  task('read the dbsu public key', command, (v) => ({ argv: ['cat', `${v.pg_dbsu_home}/.ssh/id_rsa.pub`] }), {
    ...asDbsu,
    register: 'pg_dbsu_pubkey',
    check_mode: false,
    changed_when: () => false,
    tags: ['pg_ssh'],
  }),
  // Each member trusts the keys of every cluster member, which is Pigsty's exchange seen from the receiving side.
  task(
    'trust the dbsu keys of the cluster members',
    authorizedKey,
    (v) => {
      const keys = required(v, 'pg_cluster_members')
        .map((host) => String((v.hostvars[host] as PgVars | undefined)?.pg_dbsu_pubkey?.stdout ?? '').trim())
        .filter((key) => key.startsWith('ssh-'));
      return { user: dbsu(v), key: [...new Set(keys)].join('\n') };
    },
    { tags: ['pg_ssh'], when: (v) => v.pg_dbsu_ssh_exchange && String(v.pg_dbsu_pubkey?.stdout ?? '').startsWith('ssh-') },
  ),
];

const packageTasks = [
  // Debian's postgresql-common creates and starts a cluster 15/main on install unless told not to: Patroni owns the data.
  task(
    'keep Debian from creating a default cluster',
    lineinfile,
    {
      path: '/etc/postgresql-common/createcluster.conf',
      regexp: '^#?\\s*create_main_cluster\\s*=',
      line: 'create_main_cluster = false',
      create: true,
      mode: '0644',
    },
    { when: deb },
  ),
  task(
    'look for a policy-rc.d',
    stat,
    { path: '/usr/sbin/policy-rc.d', get_checksum: false },
    { register: 'pg_policy_rc', check_mode: false, when: deb },
  ),
  // The node role installs its own; one from an earlier run of either role is left as it is.
  task(
    'keep Debian from starting services on install',
    template,
    { src: templatePath(import.meta.url, 'policy-rc.d.hbs'), dest: '/usr/sbin/policy-rc.d', owner: 'root', group: 'root', mode: '0755' },
    { when: (v) => deb(v) && v.pg_policy_rc?.stat !== undefined && (v.pg_policy_rc.stat as { exists?: boolean }).exists === false },
  ),
  task('install postgres packages', pkg, (v) => ({ name: words(v.pg_packages), aliases: true, update_cache: true, cache_valid_time: 86400 })),
  task('install postgres extensions', pkg, (v) => ({ name: words(v.pg_extensions), aliases: true, state: 'latest' }), {
    tags: ['pg_extension', 'pg_ext'],
    when: (v) => words(v.pg_extensions).length > 0,
  }),
];

const distroUnitTasks = [
  task(
    'list clusters of the distro packaging',
    shell,
    { cmd: 'if command -v pg_lsclusters >/dev/null; then pg_lsclusters -h; fi' },
    {
      register: 'pg_distro_clusters',
      check_mode: false,
      changed_when: () => false,
      when: deb,
    },
  ),
  task(
    'stop the clusters of the distro packaging',
    command,
    (_v, line: string) => {
      const [version, name] = line.split(/\s+/);
      return { argv: ['pg_ctlcluster', version as string, name as string, 'stop', '--', '-m', 'fast'] };
    },
    {
      when: deb,
      loop: (v) =>
        String(v.pg_distro_clusters?.stdout ?? '')
          .split('\n')
          .filter((l) => l.split(/\s+/)[3] === 'online'),
    },
  ),
  // start.conf 'disabled' keeps systemd's postgresql@ units and pg_ctlcluster from starting them again.
  task(
    'keep the clusters of the distro packaging from starting',
    copy,
    (_v, line: string) => {
      const [version, name] = line.split(/\s+/);
      return { dest: `/etc/postgresql/${version}/${name}/start.conf`, content: 'disabled\n', owner: 'postgres', group: 'postgres', mode: '0644' };
    },
    {
      when: deb,
      loop: (v) =>
        String(v.pg_distro_clusters?.stdout ?? '')
          .split('\n')
          .filter((l) => l.trim() !== ''),
    },
  ),
  task('disable the distro postgresql service', systemd, { name: 'postgresql', state: 'stopped', enabled: false }, { when: deb }),
];

const dirTasks = [
  task(
    'create postgres directories',
    file,
    (v, item: { path: string; mode: string }) => ({
      path: item.path,
      state: 'directory' as const,
      owner: dbsu(v),
      group: 'postgres',
      mode: item.mode,
    }),
    {
      loop: (v) => [
        { path: v.pg_fs_main, mode: '0700' },
        { path: v.pg_fs_backup, mode: '0700' },
        { path: clusterDir(v), mode: '0700' },
        ...['bin', 'tmp', 'cert', 'conf', 'data', 'spool'].map((d) => ({ path: `${clusterDir(v)}/${d}`, mode: '0700' })),
        { path: `${clusterDir(v)}/log`, mode: '0750' },
        { path: `${backupDir(v)}/backup`, mode: '0700' },
        { path: v.pg_localhost, mode: '0755' },
        ...['/etc/patroni', '/etc/pgbackrest', '/etc/pgbouncer', '/etc/pg_exporter'].map((path) => ({ path, mode: '0700' })),
      ],
    },
  ),
  task('link postgres directories', file, (_v, item: { src: string; dest: string }) => ({ path: item.dest, src: item.src, state: 'link' as const }), {
    loop: (v) => [
      { src: `${backupDir(v)}/backup`, dest: `${clusterDir(v)}/backup` },
      { src: clusterDir(v), dest: '/pg' },
    ],
  }),
  // A log dir under the data dir is made by initdb's owner; only the others are created here.
  task(
    'create log directories',
    file,
    (v, path: string) => ({ path, state: 'directory' as const, owner: dbsu(v), group: 'postgres', mode: '0750' }),
    {
      loop: (v) => {
        const pgLog = v.pg_log_dir;
        const data = v.pg_data;
        const dirs = [pgLog.startsWith(data) ? undefined : pgLog, v.patroni_log_dir, v.pgbouncer_log_dir, v.pgbackrest_log_dir];
        return [...new Set(dirs.filter((d): d is string => d !== undefined))];
      },
    },
  ),
  // Debian ships postgresql-common.conf for /run/postgresql; a file of the same name in /etc overrides it.
  task('keep the socket directory across reboots', copy, (v) => ({
    dest: deb(v) ? '/etc/tmpfiles.d/postgresql-common.conf' : '/etc/tmpfiles.d/postgresql.conf',
    content: `d ${v.pg_localhost} 0755 ${dbsu(v)} postgres -\n`,
    owner: 'root',
    group: 'root',
    mode: '0644',
  })),
];

/** dbsu account, sudo and ssh trust [pg_install, pg_dbsu]; packages, links, profile and directories [pg_install]. */
export const installTasks = [
  include('postgres dbsu', accountTasks, { tags: ['pg_install', 'pg_dbsu'] }),
  include(
    'postgres install',
    [
      include('postgres packages', [...packageTasks, include('distro units', distroUnitTasks, { tags: ['pg_post'] })], { tags: ['pg_pkg'] }),
      task(
        'link postgres home',
        file,
        (v) => ({ path: v.pg_bin_dir.replace(/\/[^/]+\/?$/, ''), src: pgHome(v), state: 'link' as const, force: true }),
        {
          tags: ['pg_link'],
        },
      ),
      task(
        'setup pgsql path',
        template,
        (v) => ({
          src: templatePath(import.meta.url, 'pgsql.sh.hbs'),
          dest: '/etc/profile.d/pgsql.sh',
          owner: 'root',
          group: 'root',
          mode: '0644',
          vars: { pg_home_link: v.pg_bin_dir.replace(/\/[^/]+\/?$/, '') },
        }),
        { tags: ['pg_path'] },
      ),
      include('postgres directories', dirTasks, { tags: ['pg_dir'] }),
      task(
        'skip the /pg/bin scripts',
        debug,
        { msg: "skipped: Pigsty's /pg/bin helper scripts (pg-failover-callback, pg-pass-add, pg-backup, ...) are not shipped by this role yet" },
        {
          tags: ['pg_bin'],
        },
      ),
      task(
        'copy postgres shell aliases',
        template,
        { src: templatePath(import.meta.url, 'pg-alias.sh.hbs'), dest: '/etc/profile.d/pg-alias.sh', owner: 'root', group: 'root', mode: '0644' },
        { tags: ['pg_alias'] },
      ),
      // Space held in reserve: deleting it frees room for an emergency when the disk fills up. Made by the dbsu, who
      // owns the directory /pg points to: as root, fallocate would follow a link the dbsu put at /pg/dummy.
      task('create the dummy file', command, (v) => ({ argv: ['fallocate', '-l', v.pg_dummy_filesize, '/pg/dummy'], creates: '/pg/dummy' }), {
        ...asDbsu,
        tags: ['pg_dummy'],
      }),
    ],
    { tags: ['pg_install'] },
  ),
];
