import { dsl, type TaskItem } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { CA_CRT, certPaths } from '../../ca/pki.ts';
import { issueCert } from '../../ca/tasks/issue-cert.ts';
import { dbsu, type PgVars } from '../paths.ts';
import { pgCertSpec } from '../server-cert.ts';

const { task, include } = dsl<PgVars>();

/** Issue the instance's certificate with the CA on the controller [pg_cert_issue] and copy it to /pg/cert [pg_cert_copy]. */
export const certTasks: TaskItem<PgVars>[] = [
  ...(issueCert(pgCertSpec, { tags: ['pg_cert_private', 'pg_cert_issue'] }) as TaskItem<PgVars>[]),
  include(
    'copy postgres certificates',
    [
      task(
        'copy the CA and server certificate',
        copy,
        (v, item: { src: string; dest: string }) => ({ src: item.src, dest: item.dest, owner: dbsu(v), group: 'postgres', mode: '0644' }),
        {
          loop: (v) => [
            { src: CA_CRT, dest: '/pg/cert/ca.crt' },
            { src: certPaths(pgCertSpec(v)).crt, dest: '/pg/cert/server.crt' },
          ],
        },
      ),
      task(
        'copy the server key',
        copy,
        (v) => ({ src: certPaths(pgCertSpec(v)).key, dest: '/pg/cert/server.key', owner: dbsu(v), group: 'postgres', mode: '0600' }),
        {
          no_log: true,
        },
      ),
    ],
    { tags: ['pg_cert_copy'] },
  ),
];
