import { describe, expect, it } from 'vitest';
import {
  parsePgEtcdState,
  pgEtcdAccount,
  pgEtcdApplyScript,
  pgEtcdProbeScript,
  planPgEtcdAccount,
  prefixRangeEnd,
  type PgEtcdState,
} from '../../roles/etcd/pg-etcd-account.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const account = { name: 'pg-test', password: 'Test.Etcd', prefix: '/pg/pg-test/' };
const own = { permType: 2, key: b64('/pg/pg-test/'), range_end: b64('/pg/pg-test0') };
const done: PgEtcdState = { permissions: [own], roles: ['pg-test'], passwordOk: true };

describe('the etcd account of a PostgreSQL cluster', () => {
  it('is named after the cluster (the shard for Citus), with the cluster name as the default password', () => {
    expect(pgEtcdAccount({ ...PARAM_DEFAULTS, pg_cluster: 'pg-test' })).toEqual({ name: 'pg-test', password: 'pg-test', prefix: '/pg/pg-test/' });
    expect(pgEtcdAccount({ ...PARAM_DEFAULTS, pg_cluster: 'pg-test', pg_etcd_password: '', pg_namespace: '/ns/' })).toEqual({
      name: 'pg-test',
      password: 'pg-test',
      prefix: '/ns/pg-test/',
    });
    expect(pgEtcdAccount({ ...PARAM_DEFAULTS, pg_cluster: 'pg-citus1', pg_mode: 'citus', pg_shard: 'pg-citus', pg_etcd_password: 'X' })).toEqual({
      name: 'pg-citus',
      password: 'X',
      prefix: '/pg/pg-citus/',
    });
    expect(() => pgEtcdAccount({ ...PARAM_DEFAULTS, pg_cluster: 'root' })).toThrow('cannot be named root');
  });

  it('grants exactly the range etcdctl --prefix grants', () => {
    expect(prefixRangeEnd('/pg/pg-test/').toString()).toBe('/pg/pg-test0');
    expect(prefixRangeEnd('a/').toString()).toBe('a0');
    expect([...prefixRangeEnd('')]).toEqual([0]);
  });

  it('creates role, permission, user and binding from nothing', () => {
    expect(planPgEtcdAccount(account, { permissions: null, roles: null, passwordOk: false })).toEqual([
      { argv: ['role', 'add', 'pg-test'] },
      { argv: ['role', 'grant-permission', 'pg-test', '--prefix=true', 'readwrite', '/pg/pg-test/'] },
      { argv: ['user', 'add', 'pg-test', '--interactive=false'], password: true },
      { argv: ['user', 'grant-role', 'pg-test', 'pg-test'] },
    ]);
  });

  it('does nothing when everything is in place, and never re-sets a password that works', () => {
    expect(planPgEtcdAccount(account, done)).toEqual([]);
  });

  it('sets the password only when the login with it was refused', () => {
    expect(planPgEtcdAccount(account, { ...done, passwordOk: false })).toEqual([
      { argv: ['user', 'passwd', 'pg-test', '--interactive=false'], password: true },
    ]);
  });

  it('confines the account to its prefix: other permissions and roles go, a read-only grant becomes read-write', () => {
    const other = { permType: 2, key: b64('/pg/other/'), range_end: b64('/pg/other0') };
    const single = { key: b64('/config') };
    expect(planPgEtcdAccount(account, { permissions: [own, other, single], roles: ['pg-test', 'admin'], passwordOk: true })).toEqual([
      { argv: ['role', 'revoke-permission', 'pg-test', '/pg/other/', '/pg/other0'] },
      { argv: ['role', 'revoke-permission', 'pg-test', '/config'] },
      { argv: ['user', 'revoke-role', 'pg-test', 'admin'] },
    ]);
    expect(planPgEtcdAccount(account, { ...done, permissions: [{ key: own.key, range_end: own.range_end }] })).toEqual([
      { argv: ['role', 'grant-permission', 'pg-test', '--prefix=true', 'readwrite', '/pg/pg-test/'] },
    ]);
    expect(planPgEtcdAccount(account, { ...done, roles: [] })).toEqual([{ argv: ['user', 'grant-role', 'pg-test', 'pg-test'] }]);
  });

  it('reads the probe output of etcdctl -w json, big header numbers included', () => {
    const header = '"header":{"cluster_id":14443903163313418560,"member_id":11417610130673999598,"revision":7,"raft_term":2}';
    const out = [
      `role={${header},"perm":[{"permType":2,"key":"${own.key}","range_end":"${own.range_end}"}]}`,
      `user={${header},"roles":["pg-test"]}`,
      'password=ok',
    ].join('\n');
    expect(parsePgEtcdState(out)).toEqual(done);
    expect(parsePgEtcdState('role=absent\nuser=absent\npassword=none\n')).toEqual({ permissions: null, roles: null, passwordOk: false });
    expect(parsePgEtcdState(`role={${header}}\nuser={${header}}\npassword=refused`)).toEqual({ permissions: [], roles: [], passwordOk: false });
  });

  it('keeps both passwords on stdin, out of the scripts', () => {
    const probe = pgEtcdProbeScript('https://10.10.10.10:2379', account);
    const apply = pgEtcdApplyScript('https://10.10.10.10:2379', planPgEtcdAccount(account, { permissions: null, roles: null, passwordOk: false }));
    for (const script of [probe, apply]) {
      expect(script).not.toContain('Test.Etcd');
      expect(script).toContain('IFS= read -r root_pass');
      expect(script).toContain('IFS= read -r user_pass');
    }
    expect(apply).toContain('printf "%s\\n" "$user_pass" | etcdctl user add pg-test --interactive=false');
    expect(probe).toContain('ETCDCTL_USER=pg-test:"$user_pass" etcdctl get /pg/pg-test/ --prefix --keys-only --limit=1');
  });
});
