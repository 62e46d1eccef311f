import { hostsFile } from '../../infra/dnsmasq-files.ts';
import { deregisterOnInfraTasks } from '../../infra/tasks/register.ts';
import { required } from '../../pgsql/required.ts';
import { isPrimary, lenient, type RemoveVars } from '../removal.ts';

const tags = ['pg_access', 'dns', 'rm_dns'];

/** [rm_dns]: the instance's name gone from every infra host's dnsmasq, and the cluster's name with its primary. */
export const dnsTasks = [
  ...deregisterOnInfraTasks<RemoveVars>({ what: 'the instance name', path: (v) => hostsFile(required(v, 'pg_instance')), tags, ...lenient }),
  ...deregisterOnInfraTasks<RemoveVars>({
    what: 'the cluster name',
    path: (v) => hostsFile(required(v, 'pg_cluster')),
    tags,
    when: isPrimary,
    ...lenient,
  }),
];
