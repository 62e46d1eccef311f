import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { file } from '../../../modules/file.ts';
import { dbsu, type PgVars } from '../paths.ts';

const { task } = dsl<PgVars>();

/** [pg_watchdog]: the dbsu gets the watchdog device Patroni uses, unless patroni_watchdog_mode is off. */
export const watchdogTasks: TaskItem<PgVars>[] = [
  task('grant the dbsu the watchdog device', file, (v) => ({ path: '/dev/watchdog', owner: dbsu(v), group: 'postgres' }), {
    tags: ['pg_watchdog'],
    ignore_errors: true,
    when: (v) => {
      const mode = v.patroni_watchdog_mode;
      return mode !== false && mode !== 'off';
    },
  }),
];
