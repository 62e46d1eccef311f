import { changed, dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { file } from '../../../modules/file.ts';
import { pkg } from '../../../modules/package.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { PG_EXPORTER_QUERIES } from '../../pg_monitor/exporter-env.ts';
import { queriesTasks } from '../../pg_monitor/tasks/pg-exporter.ts';
import { pendingFiles, pendingScript, stampCommand } from '../../reloads.ts';
import type { RoleVars } from '../../vars.ts';
import { clustersOf, envFileOf, pgrdsTargets, remoteExporters, TEMPLATE_UNIT, unitOf, type RemoteExporter } from '../remote-exporters.ts';

/** What the pg_exporters tasks read: `-e clsname` and their registers. */
export type ExportersVars = RoleVars & {
  clsname?: unknown;
  pgx_unit?: TaskResult;
  pgx_queries?: TaskResult;
  pgx_env?: TaskResult;
  pgx_pending?: TaskResult;
  pgx_launch?: TaskResult;
  pgx_present?: TaskResult;
  pgx_targets?: TaskResult;
};

const { task, include } = dsl<ExportersVars>();

const UNIT_FILE = `/etc/systemd/system/${TEMPLATE_UNIT}.service`;

/** `-e clsname=<cluster>`: only that cluster's entries; empty (or unset) is every entry. */
export const clusterFilter = (v: ExportersVars): string => (typeof v.clsname === 'string' ? v.clsname : '');

type Item = RemoteExporter & { i: number };
const items = (v: ExportersVars): Item[] => remoteExporters(v, clusterFilter(v)).map((x, i) => ({ ...x, i }));
const itemResult = (r: TaskResult | undefined, i: number): TaskResult | undefined => r?.results?.[i];

/** Whether the instance runs on files it has not read: written in this run, or by one that ended before the restart. */
const restartOwed = (v: ExportersVars, x: Item): boolean =>
  changed(itemResult(v.pgx_env, x.i)) || changed(v.pgx_unit) || changed(v.pgx_queries) || pendingFiles(itemResult(v.pgx_pending, x.i)).length > 0;

/** Instances of the template on this host (from their env files) that this run's entries no longer name. */
function staleInstances(v: ExportersVars): string[] {
  const wanted = new Set(items(v).map((x) => x.instance));
  const cls = clusterFilter(v);
  return String(v.pgx_present?.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((name) => /^[a-z0-9][a-z0-9-]*-[0-9]+$/.test(name) && !wanted.has(name))
    .filter((name) => cls === '' || (name.startsWith(`${cls}-`) && /^[0-9]+$/.test(name.slice(cls.length + 1))));
}

/** Target files of clusters no entry names any more (read only when the run covers every cluster). */
function staleTargets(v: ExportersVars): string[] {
  const wanted = new Set(clustersOf(items(v)).map((c) => `${c}.yml`));
  return String(v.pgx_targets?.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((name) => /^[a-z0-9][a-z0-9-]*\.yml$/.test(name) && !wanted.has(name));
}

/**
 * [pg_exporters]: one postgres_exporter per pg_exporters entry (an instance of our template unit, on the entry's
 * port, as prometheus), restarted when its files change; instances whose entry is gone are stopped and removed
 * (Pigsty leaves them running).
 */
export const exporterTasks: TaskItem<ExportersVars>[] = [
  include(
    'remote exporters',
    [
      task('install postgres_exporter', pkg, { name: 'prometheus-postgres-exporter' }),
      // Debian's own unit is pg_monitor's, for a local PostgreSQL: on an infra host without one it stays off.
      task(
        'keep the local exporter unit off',
        systemd,
        { name: 'prometheus-postgres-exporter', state: 'stopped', enabled: false },
        {
          when: (v) => v.pg_cluster === undefined,
        },
      ),
      ...(queriesTasks([], 'pgx_queries') as TaskItem<ExportersVars>[]),
      task(
        'install the remote exporter unit',
        copy,
        { src: filesPath(import.meta.url, `${TEMPLATE_UNIT}.service`), dest: UNIT_FILE, owner: 'root', group: 'root', mode: '0644' },
        { register: 'pgx_unit' },
      ),
      // systemd reads it as root; the connection's password is in no file another user can read.
      task(
        'configure the remote exporters',
        copy,
        (_v, x: Item) => ({ dest: envFileOf(x.instance), owner: 'root', group: 'root', mode: '0600', content: x.env }),
        {
          loop: items,
          register: 'pgx_env',
        },
      ),
      task(
        'find remote exporter files not loaded yet',
        shell,
        (_v, x: Item) => ({ cmd: pendingScript(unitOf(x.instance), [envFileOf(x.instance), UNIT_FILE, PG_EXPORTER_QUERIES]) }),
        { loop: items, register: 'pgx_pending', check_mode: false, changed_when: () => false },
      ),
      task(
        'launch the remote exporters',
        systemd,
        (v, x: Item) => ({
          name: unitOf(x.instance),
          enabled: true,
          state: restartOwed(v, x) ? ('restarted' as const) : ('started' as const),
          daemon_reload: changed(v.pgx_unit),
        }),
        { loop: items, register: 'pgx_launch' },
      ),
      task('record that the remote exporters loaded their files', shell, (_v, x: Item) => ({ cmd: stampCommand(unitOf(x.instance)) }), {
        loop: (v) => items(v).filter((x) => changed(itemResult(v.pgx_launch, x.i))),
        changed_when: () => false,
      }),
      task('wait for the remote exporters', waitFor, (_v, x: Item) => ({ host: '127.0.0.1', port: x.port, timeout: 30 }), { loop: items }),
      task(
        'list the remote exporters on this host',
        shell,
        { cmd: "ls -1 /etc/default 2>/dev/null | sed -n 's/^prometheus-postgres-exporter-//p'" },
        { register: 'pgx_present', check_mode: false, changed_when: () => false },
      ),
      task(
        'stop the remote exporters no entry names',
        systemd,
        (_v, name: string) => ({ name: unitOf(name), state: 'stopped' as const, enabled: false }),
        {
          loop: staleInstances,
        },
      ),
      task('remove their connection files', file, (_v, name: string) => ({ path: envFileOf(name), state: 'absent' as const }), {
        loop: staleInstances,
      }),
    ],
    { tags: ['pg_exporters'] },
  ),
];

/** [pg_register]: each cluster's remote instances as /infra/targets/pgrds/<cls>.yml; files of clusters no entry names are removed. */
export const registerTasks: TaskItem<ExportersVars>[] = [
  task(
    'register the remote clusters',
    copy,
    (v, cls: string) => ({
      dest: `/infra/targets/pgrds/${cls}.yml`,
      owner: 'root',
      group: 'infra',
      mode: '0640',
      content: pgrdsTargets(
        v.inventory_hostname,
        items(v).filter((x) => x.cls === cls),
      ),
    }),
    { loop: (v) => clustersOf(items(v)), tags: ['pg_register', 'register', 'add_metrics'] },
  ),
  task(
    'list the remote cluster targets',
    shell,
    { cmd: 'ls -1 /infra/targets/pgrds 2>/dev/null; true' },
    {
      tags: ['pg_register', 'register', 'add_metrics'],
      when: (v) => clusterFilter(v) === '',
      register: 'pgx_targets',
      check_mode: false,
      changed_when: () => false,
    },
  ),
  task(
    'deregister the remote clusters no entry names',
    file,
    (_v, name: string) => ({ path: `/infra/targets/pgrds/${name}`, state: 'absent' as const }),
    {
      tags: ['pg_register', 'register', 'add_metrics'],
      loop: staleTargets,
      when: (v) => clusterFilter(v) === '',
    },
  ),
];
