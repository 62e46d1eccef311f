import { changed, dsl } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { pkg } from '../../../modules/package.ts';
import { shell } from '../../../modules/shell.ts';
import { aptSourceLines, defaultPackages, repoModules, repoUpstream, splitPackages, upstreamModules } from '../node-packages.ts';
import type { NodeVars } from '../node-vars.ts';
import { notice } from '../notice.ts';

const { task, include } = dsl<NodeVars>();

const deb = (v: NodeVars) => v.os_package !== 'rpm';

const repoTasks = [
  include(
    'package repositories',
    [
      notice(
        "keep Debian's package sources",
        (v) => {
          const withEntries = upstreamModules(v);
          const others = repoModules(v).filter((m) => m !== 'local' && !withEntries.includes(m));
          return [
            repoModules(v).includes('local')
              ? "node_repo_modules local skipped: Pigsty's local repository (built by the repo role on the admin node) is not used here."
              : '',
            others.length
              ? `node_repo_modules ${others.join(',')} skipped: no repo_upstream entry for ${v.os_vendor ?? 'this OS'} ${v.os_version ?? ''} ${v.os_arch ?? ''}.`
              : '',
            v.node_repo_remove ? 'node_repo_remove ignored: the node keeps its Debian sources, the packages come from them.' : '',
          ]
            .filter(Boolean)
            .join(' ');
        },
        { tags: ['node_repo_remove'], when: (v) => deb(v) && (v.node_repo_remove || repoModules(v).some((m) => !upstreamModules(v).includes(m))) },
      ),
      task(
        'add the upstream repositories of node_repo_modules',
        copy,
        (v, module: string) => ({
          dest: `/etc/apt/sources.list.d/${module}.list`,
          mode: '0644',
          content: `# ${module} repositories from repo_upstream, written by Pigsty\n${aptSourceLines(module, repoUpstream(v), v).join('\n')}\n`,
        }),
        { tags: ['node_repo_upstream', 'node_repo_add'], loop: upstreamModules, register: 'node_repo_files', when: deb },
      ),
      task(
        'refresh the package index',
        shell,
        { cmd: 'apt-get update -q' },
        {
          tags: ['node_repo_cache'],
          when: (v) => deb(v) && changed(v.node_repo_files),
        },
      ),
      notice(
        'repository files are only written on Debian here',
        () => 'EL repository files (/etc/yum.repos.d) are not rendered by this role: the node keeps its own repositories.',
        {
          when: (v) => !deb(v) && repoModules(v).length > 0,
        },
      ),
    ],
    { tags: ['node_repo', 'node_install'] },
  ),
];

const packageTasks = [
  include(
    'node packages',
    [
      task(
        'keep services from starting when their packages are installed',
        copy,
        { src: filesPath(import.meta.url, 'policy-rc.d'), dest: '/usr/sbin/policy-rc.d', mode: '0755' },
        {
          when: deb,
        },
      ),
      task(
        'install the default node packages',
        pkg,
        (v) => ({ name: defaultPackages(v), aliases: true, update_cache: true, cache_valid_time: 86400 }),
        {
          tags: ['node_pkg_default'],
          when: (v) => defaultPackages(v).length > 0,
        },
      ),
      task(
        'install node_packages (latest)',
        pkg,
        (v) => ({ name: splitPackages(v.node_packages), aliases: true, state: 'latest', update_cache: true, cache_valid_time: 86400 }),
        {
          tags: ['node_pkg_extra', 'node_install'],
          when: (v) => splitPackages(v.node_packages).length > 0,
        },
      ),
      task(
        'install keepalived for the node VIP',
        pkg,
        { name: ['keepalived', 'keepalived-exporter'], aliases: true },
        {
          tags: ['node_vip'],
          when: (v) => v.vip_enabled,
        },
      ),
    ],
    { tags: ['node_pkg'] },
  ),
  notice(
    'uv python environment skipped',
    (v) =>
      `node_uv skipped: uv comes only from Pigsty's package repository, so no venv is made at ${v.node_uv_env}${v.node_pip_packages ? ` and ${v.node_pip_packages} is not installed` : ''}.`,
    { tags: ['node_uv'], when: (v) => v.node_uv_env !== '' },
  ),
];

/** Pigsty's pkg step: the package repositories, then the node packages. */
export const pkgTasks = [...repoTasks, ...packageTasks];
