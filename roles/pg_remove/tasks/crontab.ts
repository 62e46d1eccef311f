import { dsl } from '../../../engine/dsl.ts';
import { file } from '../../../modules/file.ts';
import { dbsu } from '../../pgsql/paths.ts';
import { lenient, type RemoveVars } from '../removal.ts';

const { task } = dsl<RemoveVars>();

/** [pg_crontab]: the dbsu's crontab. */
export const crontabTasks = [
  task(
    'remove the dbsu crontab',
    file,
    (v) => ({ path: `${v.os_package === 'rpm' ? '/var/spool/cron/' : '/var/spool/cron/crontabs/'}${dbsu(v)}`, state: 'absent' as const }),
    { tags: ['pg_crontab'], ...lenient },
  ),
];
