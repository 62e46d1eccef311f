import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { command } from '../../../modules/command.ts';
import { systemd } from '../../../modules/systemd.ts';
import { waitFor } from '../../../modules/wait-for.ts';
import { isPrimary, launchArgs, patroniCluster, patronictl } from '../patroni-commands.ts';
import { asDbsu, type PgVars } from '../paths.ts';

const { task, include } = dsl<PgVars>();

/** Patroni's working mode: pause hands the cluster to the operator, remove leaves PostgreSQL running without Patroni. */
const patroniModeSteps = [
  task('read whether patroni is paused', command, (v) => ({ argv: patronictl(v, 'show-config', ...patroniCluster(v)) }), {
    ...asDbsu,
    register: 'pg_patroni_paused',
    check_mode: false,
    changed_when: () => false,
    ignore_errors: true,
    when: (v) => v.patroni_mode === 'pause' && isPrimary(v),
  }),
  task('pause patroni', command, (v) => ({ argv: patronictl(v, 'pause', ...patroniCluster(v), '--wait') }), {
    ...asDbsu,
    ignore_errors: true,
    when: (v) => v.patroni_mode === 'pause' && isPrimary(v) && !/^pause:\s*true/m.test(String(v.pg_patroni_paused?.stdout ?? '')),
  }),
  task(
    'stop patroni on replicas',
    systemd,
    { name: 'patroni', state: 'stopped', enabled: false },
    {
      when: (v) => v.patroni_mode === 'remove' && !isPrimary(v),
    },
  ),
  task(
    'stop patroni on the primary',
    systemd,
    { name: 'patroni', state: 'stopped', enabled: false },
    {
      when: (v) => v.patroni_mode === 'remove' && isPrimary(v),
    },
  ),
  task('launch raw postgres primary', systemd, launchArgs('postgres'), {
    when: (v) => v.patroni_mode === 'remove' && isPrimary(v),
  }),
  task('launch raw postgres replicas', systemd, launchArgs('postgres'), {
    when: (v) => v.patroni_mode === 'remove' && !isPrimary(v),
  }),
  task('wait for raw postgres', waitFor, (v) => ({ host: v.inventory_hostname, port: v.pg_port, timeout: 60 }), {
    when: (v) => v.patroni_mode === 'remove',
  }),
];

/** [pg_patroni]: patroni_mode pause or remove. */
export const patroniModeTasks: TaskItem<PgVars>[] = [include('patroni mode', patroniModeSteps, { tags: ['pg_patroni'] })];
