import { shq } from '../../../engine/shell-quote.ts';
import { dsl } from '../../../engine/dsl.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { pkg } from '../../../modules/package.ts';
import { shell } from '../../../modules/shell.ts';
import { systemd } from '../../../modules/systemd.ts';
import { DNSMASQ_CONF } from '../../infra/dnsmasq-files.ts';
import { ALERTMANAGER_CONFIG, BLACKBOX_CONFIG, INFRA_DIR, VMETRICS_DROPIN } from '../../infra/service-env.ts';
import { RELOAD_STAMP_DIR } from '../../reloads.ts';
import type { RoleVars } from '../../vars.ts';

const { task } = dsl<RoleVars>();

/** Every removal step goes on past a failure, as Pigsty's infra-rm runs (ignore_errors). */
const lenient = { ignore_errors: true } as const;

/** The infra services, in the order they stop: the rule evaluator before the store it reads. */
export const INFRA_SERVICES = ['vmalert', 'victoria-metrics', 'prometheus-alertmanager', 'prometheus-blackbox-exporter', 'dnsmasq'];

/** The packages infra-rm removes; dnsmasq stays installed (stopped and disabled), as in Pigsty. */
export const INFRA_REMOVED_PACKAGES = ['victoria-metrics', 'prometheus-alertmanager', 'prometheus-blackbox-exporter'];

/** Files the infra role wrote outright (not package conffiles: those stay with the packages' remove, as apt keeps them). */
export const INFRA_CONFIGS = [
  '/etc/systemd/system/vmalert.service',
  VMETRICS_DROPIN,
  '/etc/default/vmalert',
  ALERTMANAGER_CONFIG,
  BLACKBOX_CONFIG,
  '/etc/pki/infra.crt',
  '/etc/pki/infra.key',
  DNSMASQ_CONF,
];

/** What the infra role makes under infra_data (the targets, rules, records, metrics and alert state). */
export const INFRA_DATA_ENTRIES = ['metrics', 'alertmgr', 'targets', 'rules', 'hosts', 'conf', 'tmp', 'bin', 'prometheus.yml'];

/** [service], [config], [data], [package]: Pigsty's infra-rm steps on each infra host. */
export const removeTasks = [
  task('stop and disable the infra services', systemd, (_v, name: string) => ({ name, state: 'stopped' as const, enabled: false }), {
    tags: ['service'],
    loop: INFRA_SERVICES,
    ...lenient,
  }),
  // pgsql-monitor's exporters run on the infra hosts too: stopped, their units and connection files gone.
  task(
    'remove the remote exporters',
    shell,
    {
      cmd:
        'for f in /etc/default/prometheus-postgres-exporter-*; do [ -e "$f" ] || continue; i=${f#/etc/default/prometheus-postgres-exporter-}; ' +
        'systemctl disable --now "prometheus-postgres-exporter@$i" 2>/dev/null; rm -f -- "$f"; echo "$i"; done; ' +
        'rm -f /etc/systemd/system/prometheus-postgres-exporter@.service',
    },
    { tags: ['service'], changed_when: (r) => String(r.stdout ?? '').trim() !== '', ...lenient },
  ),
  task('remove the infra configs', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
    tags: ['config'],
    loop: INFRA_CONFIGS,
    ...lenient,
  }),
  task('reload systemd units', shell, { cmd: 'systemctl daemon-reload' }, { tags: ['config'], changed_when: () => false, ...lenient }),
  task('remove the infra services reload stamps', file, (_v, name: string) => ({ path: `${RELOAD_STAMP_DIR}/${name}`, state: 'absent' as const }), {
    tags: ['config'],
    loop: INFRA_SERVICES,
    ...lenient,
  }),
  // /infra is a link: removing it leaves infra_data, which goes by its own path.
  task('remove the /infra link', file, { path: INFRA_DIR, state: 'absent' }, { tags: ['data'], ...lenient }),
  // Only what the infra role made under infra_data: it may be shared (/data holds PostgreSQL's and etcd's data too).
  task('remove the infra data', file, (v, name: string) => ({ path: `${v.infra_data}/${name}`, state: 'absent' as const }), {
    tags: ['data'],
    loop: INFRA_DATA_ENTRIES,
    ...lenient,
  }),
  task(
    'remove the infra data directory when nothing else is in it',
    shell,
    (v) => ({ cmd: `if [ -d ${shq(v.infra_data)} ] && rmdir -- ${shq(v.infra_data)} 2>/dev/null; then echo removed; fi` }),
    { tags: ['data'], changed_when: (r) => String(r.stdout ?? '').includes('removed'), ...lenient },
  ),
  task('uninstall the infra packages', pkg, { name: INFRA_REMOVED_PACKAGES, state: 'absent' }, { tags: ['package'], ...lenient }),
  task(
    'leave dnsmasq installed',
    debug,
    { msg: 'infra-rm: dnsmasq stays installed, stopped and disabled, as Pigsty leaves it' },
    { tags: ['package'] },
  ),
];
