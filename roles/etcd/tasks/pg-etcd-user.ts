import { dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import type { RoleVars } from '../../vars.ts';
import { checkPassword } from '../etcdctl.ts';
import { hostVarsOf } from '../etcd-members.ts';
import { type EtcdOp, parsePgEtcdState, pgEtcdAccount, pgEtcdApplyScript, pgEtcdProbeScript, planPgEtcdAccount } from '../pg-etcd-account.ts';

type Probed = RoleVars & { pg_etcd_probe?: TaskResult };

const etcdHosts = (v: RoleVars): string[] => v.groups.etcd ?? [];
const endpointsOf = (v: RoleVars): string => {
  // Pigsty's Patroni and this account use the group `etcd`, whatever etcd_cluster says.
  return etcdHosts(v)
    .map((h) => `https://${h}:${hostVarsOf(v, h).etcd_port}`)
    .join(',');
};
const secrets = (v: RoleVars): string => {
  const account = pgEtcdAccount(v);
  checkPassword('the etcd password of the cluster (pg_etcd_password)', account.password);
  return `${v.etcd_root_password}\n${account.password}\n`;
};
const planOf = (v: Probed): EtcdOp[] =>
  v.pg_etcd_probe?.stdout === undefined ? [] : planPgEtcdAccount(pgEtcdAccount(v), parsePgEtcdState(v.pg_etcd_probe.stdout));

/**
 * Tasks for the pgsql role: make the etcd account of the host's PostgreSQL cluster, on the first host of the group
 * `etcd`. By default they run on the cluster's primary only, which is once per cluster even when one play holds
 * several clusters (run_once would serve only the first of them); pass `when` to choose otherwise. Tags: pg_conf, pg_etcd.
 */
export function pgEtcdUserTasks(options: { when?: (v: RoleVars) => boolean; tags?: string[] } = {}): TaskItem<RoleVars>[] {
  const { task, include } = dsl<RoleVars>();
  const when = options.when ?? ((v: RoleVars) => v.pg_role === 'primary');
  return [
    include(
      'etcd account of the PostgreSQL cluster',
      [
        task(
          'read the etcd account of the cluster',
          shell,
          (v) => ({ cmd: pgEtcdProbeScript(endpointsOf(v), pgEtcdAccount(v)), stdin: secrets(v), executable: '/bin/bash' }),
          { register: 'pg_etcd_probe', check_mode: false, changed_when: () => false, delegate_to: (v) => etcdHosts(v)[0] as string },
        ),
        task(
          'create or repair the etcd account of the cluster',
          shell,
          (v) => ({ cmd: pgEtcdApplyScript(endpointsOf(v), planOf(v)), stdin: secrets(v), executable: '/bin/bash' }),
          { when: (v) => planOf(v).length > 0, delegate_to: (v) => etcdHosts(v)[0] as string },
        ),
      ],
      { tags: options.tags ?? ['pg_conf', 'pg_etcd'], when: (v) => etcdHosts(v).length > 0 && v.pg_cluster !== undefined && when(v) },
    ),
  ];
}
