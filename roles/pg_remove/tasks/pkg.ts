import { dsl } from '../../../engine/dsl.ts';
import { file } from '../../../modules/file.ts';
import { pkg } from '../../../modules/package.ts';
import { packageNames } from '../package-names.ts';
import { lenient, type RemoveVars } from '../removal.ts';

const { task, include } = dsl<RemoveVars>();

/** [pg_pkg] (pg_rm_pkg): the login environment, the extensions and the PostgreSQL packages. */
export const pkgTasks = [
  include(
    'packages',
    [
      task('remove the postgres environment', file, (_v, path: string) => ({ path, state: 'absent' as const }), {
        loop: ['/etc/profile.d/pgsql.sh', '/etc/profile.d/pg-alias.sh'],
        ...lenient,
      }),
      task('uninstall extensions', pkg, (v) => ({ name: packageNames(v.pg_extensions), state: 'absent' as const, aliases: true }), {
        tags: ['pg_extension', 'pg_ext'],
        when: (v) => packageNames(v.pg_extensions).length > 0,
        ...lenient,
      }),
      task('uninstall postgres packages', pkg, (v) => ({ name: packageNames(v.pg_packages), state: 'absent' as const, aliases: true }), {
        ...lenient,
      }),
    ],
    { tags: ['pg_pkg'], when: (v) => v.pg_rm_pkg },
  ),
];
