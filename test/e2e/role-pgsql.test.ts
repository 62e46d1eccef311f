import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dbsuQuery, onNode, recap, results, ROOT, runEntry, sandbox, type Run } from './harness.ts';

// The pgsql role's core (install, config, cert, launch, init, HBA) on its own nodes x41-x43: etcd on x41 (the etcd
// role), then the cluster pg-core with its primary on x41 and streaming replicas on x42 and x43.
const INVENTORY = join(ROOT, 'test/fixtures/roles/pgsql.yml');
const [PRIMARY, REPLICA, OFFLINE] = ['10.10.10.41', '10.10.10.42', '10.10.10.43'] as const;
const MEMBERS = [PRIMARY, REPLICA, OFFLINE];

const changedOn = (run: Run): Record<string, number> => Object.fromEntries(Object.entries(recap(run).hosts).map(([h, c]) => [h, c.changed ?? -1]));
const seconds = (run: Run): number => (recap(run) as unknown as { duration_ms: number }).duration_ms / 1000;

/**
 * Test bed only, until the etcd role does it: Patroni 3.0 talks to etcd through its JSON gateway, which Debian's etcd
 * 3.4 serves only when enable-grpc-gateway is set in a config file, and refuses (with a client certificate present)
 * when client-cert-auth is on. Pigsty's etcd.conf sets neither client-cert-auth nor needs the flag (etcd 3.5).
 */
function etcdGatewayForPatroni(): void {
  const conf = '/etc/etcd/etcd.conf';
  const patched = onNode(
    PRIMARY,
    [
      'changed=0',
      `grep -q '^enable-grpc-gateway: true' ${conf} || { printf '\\nenable-grpc-gateway: true\\n' >> ${conf}; changed=1; }`,
      `if sed -n '/^client-transport-security:/,/^$/p' ${conf} | grep -q 'client-cert-auth: true'; then sed -i '/^client-transport-security:/,/^$/{/client-cert-auth: true/d}' ${conf}; changed=1; fi`,
      'if [ $changed = 1 ]; then systemctl restart etcd && echo patched; fi',
    ].join('\n'),
  );
  if (patched.stdout.includes('patched'))
    console.log('test bed: etcd.conf on x41 patched for Patroni (grpc gateway on, no client-cert-auth on client URLs)');
}

describe('pgsql role on x41-x43', () => {
  let deploy: Run;
  let deploySeconds = 0;

  beforeAll(async () => {
    try {
      sandbox('up', 'x41', 'x42', 'x43');
    } catch {
      // a node left degraded by an earlier run (a failed unit) refuses `up`; reset gives it a fresh disk and boots it
    }
    sandbox('reset', 'x41', 'x42', 'x43');
    const etcd = await runEntry('etcd.ts', ['-i', INVENTORY, '--json']);
    expect(etcd.code, etcd.stdout + etcd.stderr).toBe(0);
    etcdGatewayForPatroni();
    const started = Date.now();
    deploy = await runEntry('pgsql.ts', ['-i', INVENTORY, '--json']);
    deploySeconds = (Date.now() - started) / 1000;
  });

  it('deploys a leader and two streaming replicas', () => {
    expect(deploy.code, deploy.stdout.slice(-5000) + deploy.stderr).toBe(0);
    console.log(`fresh pgsql deploy of x41-x43: ${deploySeconds}s`);
    const list = JSON.parse(
      onNode(PRIMARY, 'cd / && runuser -u postgres -- patronictl -c /etc/patroni/patroni.yml list -f json 2>/dev/null').stdout,
    ) as {
      Member: string;
      Host: string;
      Role: string;
      State: string;
    }[];
    expect(list.map((m) => [m.Member, m.Host, m.Role, m.State]).sort()).toEqual([
      ['pg-core-1', PRIMARY, 'Leader', 'running'],
      ['pg-core-2', REPLICA, 'Replica', 'running'],
      ['pg-core-3', OFFLINE, 'Replica', 'running'],
    ]);
    expect(dbsuQuery(PRIMARY, 'SELECT client_addr, state FROM pg_stat_replication ORDER BY 1').split('\n')).toEqual([
      `${REPLICA}|streaming`,
      `${OFFLINE}|streaming`,
    ]);
    for (const ip of [REPLICA, OFFLINE]) expect(dbsuQuery(ip, 'SELECT status FROM pg_stat_wal_receiver')).toBe('streaming');
  });

  it('replicates a write on the primary to the replicas', async () => {
    const token = `row-${Date.now()}`;
    expect(
      dbsuQuery(
        PRIMARY,
        `CREATE TABLE IF NOT EXISTS e2e_probe(v text); INSERT INTO e2e_probe VALUES ('${token}'); SELECT count(*) FROM e2e_probe WHERE v = '${token}'`,
      ),
    ).toBe('1');
    for (const ip of [REPLICA, OFFLINE]) {
      let seen = '';
      for (let i = 0; i < 20 && seen !== '1'; i++) {
        seen = dbsuQuery(ip, `SELECT count(*) FROM e2e_probe WHERE v = '${token}'`);
        if (seen !== '1') await new Promise((r) => setTimeout(r, 250));
      }
      expect(seen, `replica ${ip}`).toBe('1');
    }
  });

  it('bootstraps the cluster as the inventory says: dbsu, paths, TLS, checksums, sizing', () => {
    expect(
      onNode(REPLICA, 'id -u postgres; readlink /pg /usr/pgsql /etc/patroni/patroni.yml; stat -c "%a %U" /pg/data /pg/cert/server.key')
        .stdout.trim()
        .split('\n'),
    ).toEqual(['543', '/data/postgres/pg-core-15', '/usr/lib/postgresql/15', '/pg/conf/pg-core-2.yml', '700 postgres', '600 postgres']);
    expect(
      dbsuQuery(
        PRIMARY,
        "SELECT current_setting('data_checksums') || ' ' || current_setting('ssl') || ' ' || current_setting('max_connections') || ' ' || current_setting('wal_level')",
      ),
    ).toBe('on on 500 logical');
    // the server certificate is the instance's own, signed by the CA the etcd role made
    expect(
      onNode(OFFLINE, 'openssl verify -CAfile /pg/cert/ca.crt /pg/cert/server.crt && openssl x509 -noout -subject -in /pg/cert/server.crt').stdout,
    ).toContain('CN = pg-core-3');
    // Debian's own cluster never came to be, and its service stays off
    expect(onNode(PRIMARY, 'ls /etc/postgresql/ 2>/dev/null | wc -l; systemctl is-enabled postgresql').stdout.trim().split('\n')).toEqual([
      '0',
      'disabled',
    ]);
  });

  it('creates the default roles, schemas and extensions in template1 and postgres', () => {
    expect(dbsuQuery(PRIMARY, "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname ~ '^(dbrole_|dbuser_|replicator)'")).toBe(
      'dbrole_admin,dbrole_offline,dbrole_readonly,dbrole_readwrite,dbuser_dba,dbuser_monitor,replicator',
    );
    // the monitor user logs in over TCP with its password: HBA, SCRAM secret and role agree
    expect(
      onNode(REPLICA, `PGPASSWORD=DBUser.Monitor psql -h ${PRIMARY} -U dbuser_monitor -d postgres -AXtc 'SELECT current_user' 2>&1`).stdout.trim(),
    ).toBe('dbuser_monitor');
    for (const db of ['template1', 'postgres']) {
      expect(
        onNode(
          PRIMARY,
          `cd / && runuser -u postgres -- psql -d ${db} -AXtc "SELECT count(*) FROM pg_extension WHERE extname IN ('pg_stat_statements','pg_repack','btree_gist')"`,
        ).stdout.trim(),
      ).toBe('3');
    }
    expect(
      dbsuQuery(PRIMARY, "SELECT count(*) FROM pg_default_acl d JOIN pg_roles r ON r.oid = d.defaclrole WHERE r.rolname = 'dbuser_dba'"),
    ).not.toBe('0');
  });

  it('renders the HBA rules per member, business rules and role filters included', () => {
    for (const ip of MEMBERS) {
      expect(
        onNode(ip, 'grep -c "^host     all                all                10.10.10.1/32      scram-sha-256$" /pg/data/pg_hba.conf').stdout.trim(),
        ip,
      ).toBe('1');
      expect(
        onNode(ip, 'grep -c "^local    all                postgres                              ident$" /pg/data/pg_hba.conf').stdout.trim(),
        ip,
      ).toBe('1');
    }
    // the offline rule is live on the member serving offline queries only
    expect(onNode(OFFLINE, 'grep -c "^host     all                dbuser_view" /pg/data/pg_hba.conf').stdout.trim()).toBe('3');
    expect(onNode(REPLICA, 'grep -c "^#host     all                dbuser_view" /pg/data/pg_hba.conf').stdout.trim()).toBe('3');
  });

  it('changes nothing when run again, and reports no change in check mode', async () => {
    const again = await runEntry('pgsql.ts', ['-i', INVENTORY, '--json']);
    expect(again.code, again.stdout.slice(-3000)).toBe(0);
    console.log(`no-op re-run: ${seconds(again)}s`);
    const changes = results(again).filter((e) => e.status === 'changed');
    expect(changes.map((e) => `${e.host} ${e.task}: ${e.summary}`)).toEqual([]);
    expect(changedOn(again)).toEqual({ [PRIMARY]: 0, [REPLICA]: 0, [OFFLINE]: 0 });

    const check = await runEntry('pgsql.ts', ['-i', INVENTORY, '--check', '--json']);
    expect(check.code, check.stdout.slice(-3000)).toBe(0);
    expect(
      results(check)
        .filter((e) => e.status === 'changed')
        .map((e) => `${e.host} ${e.task}: ${e.summary}`),
    ).toEqual([]);
    expect(changedOn(check)).toEqual({ [PRIMARY]: 0, [REPLICA]: 0, [OFFLINE]: 0 });
  });

  it('applies a pg_hba_rules change with -t pg_hba: only the HBA file and a reload', async () => {
    const loadTime = (ip: string) => dbsuQuery(ip, 'SELECT pg_conf_load_time()');
    const before = Object.fromEntries(MEMBERS.map((ip) => [ip, loadTime(ip)]));
    const rules = [{ user: 'dbuser_extra', db: 'all', addr: '10.10.10.99/32', auth: 'md5', title: 'extra client', order: 950 }];
    const run = await runEntry('pgsql.ts', ['-i', INVENTORY, '-t', 'pg_hba', '-e', JSON.stringify({ pg_hba_rules: rules }), '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    const changed = results(run).filter((e) => e.status === 'changed');
    expect(changed.map((e) => `${e.host} ${e.task}`).sort()).toEqual(
      MEMBERS.flatMap((ip) => [`${ip} pgsql : reload postgres config`, `${ip} pgsql : render postgres hba rules`]).sort(),
    );
    for (const ip of MEMBERS) {
      expect(
        onNode(ip, 'grep -c "^host     all                dbuser_extra       10.10.10.99/32     md5$" /pg/data/pg_hba.conf').stdout.trim(),
        ip,
      ).toBe('1');
      expect(onNode(ip, 'grep -c "10.10.10.1/32" /pg/data/pg_hba.conf').stdout.trim(), ip).toBe('0');
      expect(loadTime(ip), ip).not.toBe(before[ip]);
    }
    expect(dbsuQuery(PRIMARY, "SELECT count(*) FROM pg_hba_file_rules WHERE 'dbuser_extra' = ANY(user_name)")).toBe('1');
  });

  it('makes the reload an earlier run owed: the server runs on the HBA file it has', async () => {
    const loadTime = (ip: string) => dbsuQuery(ip, 'SELECT pg_conf_load_time()');
    const rules = JSON.stringify({
      pg_hba_rules: [{ user: 'dbuser_late', db: 'all', addr: '10.10.10.98/32', auth: 'md5', title: 'late client', order: 960 }],
    });
    // A run that writes the rules but never reloads (as one interrupted or failed before its reload would).
    const lost = await runEntry('pgsql.ts', ['-i', INVENTORY, '-t', 'pg_hba', '-e', rules, '-e', 'pg_reload=false', '--json']);
    expect(lost.code, lost.stdout.slice(-3000)).toBe(0);
    const before = Object.fromEntries(MEMBERS.map((ip) => [ip, loadTime(ip)]));
    const loaded = () => dbsuQuery(PRIMARY, "SELECT count(*) FROM pg_hba_file_rules WHERE 'dbuser_late' = ANY(user_name)");
    expect(loaded()).toBe('1');

    // The file is unchanged now: only the owed reload is reported, in check mode too.
    const check = await runEntry('pgsql.ts', ['-i', INVENTORY, '-t', 'pg_hba', '-e', rules, '--check', '--json']);
    const owed = MEMBERS.map((ip) => `${ip} pgsql : reload postgres config`).sort();
    expect(
      results(check)
        .filter((e) => e.status === 'changed')
        .map((e) => `${e.host} ${e.task}`)
        .sort(),
    ).toEqual(owed);
    const next = await runEntry('pgsql.ts', ['-i', INVENTORY, '-t', 'pg_hba', '-e', rules, '--json']);
    expect(next.code, next.stdout.slice(-3000)).toBe(0);
    expect(
      results(next)
        .filter((e) => e.status === 'changed')
        .map((e) => `${e.host} ${e.task}`)
        .sort(),
    ).toEqual(owed);
    for (const ip of MEMBERS) expect(loadTime(ip), ip).not.toBe(before[ip]);
    // Paid once: a further run owes nothing.
    const settled = await runEntry('pgsql.ts', ['-i', INVENTORY, '-t', 'pg_hba', '-e', rules, '--json']);
    expect(changedOn(settled)).toEqual({ [PRIMARY]: 0, [REPLICA]: 0, [OFFLINE]: 0 });
  });
});
