import { dsl, type Task } from '../engine/dsl.ts';
import { file } from '../modules/file.ts';

/** Where the roles install their helper scripts (textfile collectors, the exporter launcher): root's alone. */
export const HELPER_DIR = '/usr/local/lib/pigsty';

/** The task that makes HELPER_DIR, for the roles that install a helper into it. */
export const helperDirTask = <V>(tags: string[] = []): Task<V> =>
  dsl<V>().task(
    'create the pigsty helper directory',
    file,
    { path: HELPER_DIR, state: 'directory', owner: 'root', group: 'root', mode: '0755' },
    { tags },
  );
