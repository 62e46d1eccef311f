import { dsl } from '../../../engine/dsl.ts';
import { copy, filesPath } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { file } from '../../../modules/file.ts';
import { shell } from '../../../modules/shell.ts';
import { shq } from '../../../engine/shell-quote.ts';
import type { InfraRegisters, InfraVars } from '../infra-vars.ts';
import { isAlert, renderRuleFile, RULE_FILES, rules, scheduledBackupStanzas, type RuleFile } from '../rules.ts';
import { scrapeConfig } from '../scrape-config.ts';
import { notifierUrls, RULES_DIR, SCRAPE_CONFIG, vmalertEnv, VMETRICS_DROPIN, vmetricsEnv } from '../service-env.ts';
import { launchServiceTasks } from '../../service-launch.ts';
import { dropInTasks } from '../../systemd-dropin.ts';
import { membersChanged } from './pkg.ts';

const { task, include } = dsl<InfraVars>();

/**
 * The options files of VictoriaMetrics and vmalert (both run as _victoria-metrics): *_options may carry a password
 * (-httpAuth.password), so only root and the service's group read them; systemd reads them as root.
 */
const ENV_FILE_MODE = { owner: 'root', group: '_victoria-metrics', mode: '0640' } as const;

/** The rules as this infra host renders them: its view of the ports, and the clusters of the inventory that schedule backups. */
const allRules = (v: InfraVars) => rules({ ...v, backup_stanzas: scheduledBackupStanzas(Object.values(v.hostvars)) });

/** The rule files this host loads: without any Alertmanager to notify, vmalert refuses alerting rules, so only recording ones. */
const ruleFiles = (v: InfraVars): RuleFile[] => {
  const all = allRules(v);
  return RULE_FILES.filter((f) => all.some((r) => r.file === f && (!isAlert(r) || notifierUrls(v).length > 0)));
};

const vmetrics = [
  task(
    'wipe the VictoriaMetrics data',
    shell,
    (v) => ({ cmd: `systemctl stop victoria-metrics 2>/dev/null; rm -rf ${shq(`${v.infra_data}/metrics`)}` }),
    {
      tags: ['vmetrics_clean'],
      when: (v) => v.vmetrics_clean,
    },
  ),
  task(
    'create the VictoriaMetrics data directory',
    file,
    (v) => ({ path: `${v.infra_data}/metrics`, state: 'directory' as const, owner: '_victoria-metrics', group: 'infra', mode: '0750' }),
    {
      tags: ['vmetrics_config'],
    },
  ),
  ...dropInTasks<InfraVars>({
    path: VMETRICS_DROPIN,
    what: 'VictoriaMetrics',
    name: 'let systemd reload VictoriaMetrics',
    source: { src: filesPath(import.meta.url, 'victoria-metrics-reload.conf') },
    tags: ['vmetrics_config'],
    register: 'vmetrics_dropin',
  }),
  task('configure VictoriaMetrics', copy, (v) => ({ dest: '/etc/default/victoria-metrics', ...ENV_FILE_MODE, content: vmetricsEnv(v) }), {
    tags: ['vmetrics_config'],
    register: 'vmetrics_env',
  }),
  task(
    'render the scrape config',
    copy,
    (v) => ({
      dest: SCRAPE_CONFIG,
      owner: 'root',
      group: 'infra',
      mode: '0640',
      content: scrapeConfig(v),
      validate: 'victoria-metrics -promscrape.config=%s -promscrape.config.dryRun -loggerLevel=ERROR',
    }),
    { tags: ['vmetrics_config'], register: 'vmetrics_scrape' },
  ),
  ...launchServiceTasks<InfraVars, keyof InfraRegisters>({
    unit: 'victoria-metrics',
    tags: ['vmetrics_launch'],
    reloadFiles: () => [SCRAPE_CONFIG],
    restartFiles: () => ['/etc/default/victoria-metrics', VMETRICS_DROPIN],
    restartOn: ['vmetrics_env', 'vmetrics_dropin'],
    unitChanged: ['vmetrics_dropin'],
    reloadOn: ['vmetrics_scrape'],
    pending: 'vmetrics_pending',
    launch: 'vmetrics_launch',
    port: (v) => v.vmetrics_port,
    restartWhen: membersChanged,
  }),
];

const vmalert = [
  task(
    'install the vmalert unit',
    copy,
    { src: filesPath(import.meta.url, 'vmalert.service'), dest: '/etc/systemd/system/vmalert.service', owner: 'root', group: 'root', mode: '0644' },
    {
      tags: ['vmalert_config'],
      register: 'vmalert_unit',
    },
  ),
  task('configure vmalert', copy, (v) => ({ dest: '/etc/default/vmalert', ...ENV_FILE_MODE, content: vmalertEnv(v, notifierUrls(v)) }), {
    tags: ['vmalert_config'],
    register: 'vmalert_env',
  }),
  task(
    'note that alerting rules are not loaded',
    debug,
    { msg: 'vmalert: recording rules only: no infra host runs Alertmanager (alertmanager_enabled), and vmalert refuses alerting rules without one' },
    {
      tags: ['vmalert_config'],
      when: (v) => notifierUrls(v).length === 0,
    },
  ),
  task(
    'render the alert and recording rules',
    copy,
    (v, name: RuleFile) => ({
      dest: `${RULES_DIR}/${name}.yml`,
      owner: 'root',
      group: 'infra',
      mode: '0644',
      content: renderRuleFile(name, allRules(v), v.vmetrics_scrape_interval),
      validate: 'vmalert -dryRun -rule=%s -loggerLevel=ERROR',
    }),
    { tags: ['vmalert_config'], loop: ruleFiles, register: 'vmalert_rules' },
  ),
  task('remove rule files no longer loaded', file, (_v, name: RuleFile) => ({ path: `${RULES_DIR}/${name}.yml`, state: 'absent' as const }), {
    tags: ['vmalert_config'],
    loop: (v) => RULE_FILES.filter((f) => !ruleFiles(v).includes(f)),
  }),
  ...launchServiceTasks<InfraVars, keyof InfraRegisters>({
    unit: 'vmalert',
    tags: ['vmalert_launch'],
    reloadFiles: () => [RULES_DIR],
    restartFiles: () => ['/etc/systemd/system/vmalert.service', '/etc/default/vmalert'],
    restartOn: ['vmalert_unit', 'vmalert_env'],
    unitChanged: ['vmalert_unit'],
    reloadOn: ['vmalert_rules'],
    pending: 'vmalert_pending',
    launch: 'vmalert_launch',
    port: (v) => v.vmalert_port,
    restartWhen: membersChanged,
  }),
];

/** [victoria]: VictoriaMetrics (Debian's unit, our env file and scrape config), then vmalert with our unit and rules. */
export const victoriaTasks = [
  include('vmetrics', vmetrics, { tags: ['victoria', 'vmetrics'], when: (v) => v.vmetrics_enabled }),
  include('vmalert', vmalert, { tags: ['victoria', 'vmalert'], when: (v) => v.vmetrics_enabled && v.vmalert_enabled }),
];
