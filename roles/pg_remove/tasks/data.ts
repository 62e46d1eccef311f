import { dsl } from '../../../engine/dsl.ts';
import { file } from '../../../modules/file.ts';
import { lenient, type RemoveVars } from '../removal.ts';

const { task } = dsl<RemoveVars>();

/** [pg_data] (pg_rm_data): the data directory, and /pg/data where it links. */
export const dataTasks = [
  task('remove postgres data', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
    tags: ['pg_data'],
    when: (v) => v.pg_rm_data,
    loop: (v) => [...new Set([v.pg_data, '/pg/data'])],
    ...lenient,
  }),
];
