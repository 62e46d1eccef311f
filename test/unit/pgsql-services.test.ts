import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { renderTemplate, templatePath } from '../../modules/template.ts';
import { PARAM_DEFAULTS, type PgService } from '../../roles/params.ts';
import { PG_RTO_PLAN } from '../../roles/pgsql/rto.ts';
import { clusterMembers, jmesSearch, selectMembers, type Member } from '../../roles/pgsql/selector.ts';
import {
  destinationPort,
  pgHaproxyService,
  pgServiceFiles,
  rtoServerDefaults,
  staleServiceFiles,
  type ServiceContext,
} from '../../roles/pgsql/service-files.ts';
import { accessTasks } from '../../roles/pgsql/tasks/access.ts';
import { interfaceOf, vipTemplateVars } from '../../roles/pgsql/vip-manager.ts';
import type { RoleVars } from '../../roles/vars.ts';

/** A host's variables as the engine hands them to hostvars: the declared defaults under what the inventory sets. */
const inventoryHost = (vars: Partial<RoleVars>): RoleVars['hostvars'][string] => ({ ...PARAM_DEFAULTS, ...vars }) as RoleVars['hostvars'][string];

// Pigsty's pg-test: a primary, a replica, and a replica that also serves offline queries; pg-meta elsewhere.
const hostvars: RoleVars['hostvars'] = {
  '10.10.10.10': inventoryHost({ pg_cluster: 'pg-meta', pg_seq: 1, pg_role: 'primary' }),
  '10.10.10.11': inventoryHost({ pg_cluster: 'pg-test', pg_seq: 1, pg_role: 'primary', pg_offline_query: false }),
  '10.10.10.12': inventoryHost({ pg_cluster: 'pg-test', pg_seq: 2, pg_role: 'replica', pg_offline_query: false }),
  '10.10.10.13': inventoryHost({ pg_cluster: 'pg-test', pg_seq: 3, pg_role: 'replica', pg_offline_query: true }),
};
const members = clusterMembers(hostvars, 'pg-test');
const ctx: ServiceContext = {
  cluster: 'pg-test',
  members,
  defaultDest: 'pgbouncer',
  rto: PARAM_DEFAULTS.pg_rto,
  rtoPlan: PARAM_DEFAULTS.pg_rto_plan,
};
const service = (name: string): PgService => PARAM_DEFAULTS.pg_default_services.find((s) => s.name === name) as PgService;
const servers = (s: PgService, c: ServiceContext = ctx) =>
  pgHaproxyService(s, c).servers.map((x) => `${x.name} ${x.ip}:${x.port}${x.backup ? ' backup' : ''}`);
const names = (ms: Member[]) => ms.map((m) => m.inventory_hostname);

describe('JMESPath selectors', () => {
  const data = [
    { name: 'a', role: 'primary', n: 1, tags: ['x'], nested: { v: 1 } },
    { name: 'b', role: 'replica', n: 2, tags: [], nested: { v: 2 } },
    { name: 'c', role: 'replica', n: 3, off: true, nested: { v: 3 } },
  ];

  it('projects, filters, indexes and slices', () => {
    expect(jmesSearch('[]', data)).toEqual(data);
    expect(jmesSearch('[*].name', data)).toEqual(['a', 'b', 'c']);
    expect(jmesSearch('[].name', data)).toEqual(['a', 'b', 'c']);
    expect(jmesSearch("[? role == 'replica'].name", data)).toEqual(['b', 'c']);
    expect(jmesSearch('[0].name', data)).toBe('a');
    expect(jmesSearch('[-1].name', data)).toBe('c');
    expect(jmesSearch('[1:].name', data)).toEqual(['b', 'c']);
    expect(jmesSearch('[? nested.v > `1`] | [0].name', data)).toBe('b');
  });

  it('reads backtick literals as JSON, or as strings in the legacy form Pigsty writes', () => {
    expect(jmesSearch('[? role == `primary` ].name', data)).toEqual(['a']);
    expect(jmesSearch('[? role == `"primary"` ].name', data)).toEqual(['a']);
    expect(jmesSearch('[? n == `2` ].name', data)).toEqual(['b']);
    expect(jmesSearch('[? n >= `2` && n < `3`].name', data)).toEqual(['b']);
  });

  it('has JMESPath truthiness: null, false, empty strings and lists are false', () => {
    expect(jmesSearch('[? off ].name', data)).toEqual(['c']);
    expect(jmesSearch('[? !off ].name', data)).toEqual(['a', 'b']);
    expect(jmesSearch('[? tags ].name', data)).toEqual(['a']);
    expect(jmesSearch('[? !(role == `replica` || n == `1`) ].name', data)).toEqual([]);
    // A comparison of numbers with strings is null, so it selects nothing.
    expect(jmesSearch('[? role > `1` ].name', data)).toEqual([]);
  });

  it("runs the functions of JMESPath, as json_query does, and reads literals as Python's jmespath does", () => {
    expect(jmesSearch('[? contains(name, `a`)].name', data)).toEqual(['a']);
    expect(jmesSearch('[? starts_with(role, `rep`)] | length(@)', data)).toBe(2);
    // Only leading blanks of a legacy literal are dropped, and \` is a backtick inside one.
    expect(jmesSearch('[? name == ` a`].name', data)).toEqual(['a']);
    expect(jmesSearch('[? name == `a `].name', data)).toEqual([]);
    expect(jmesSearch('[? name == `x\\`y`].name', [{ name: 'x`y' }])).toEqual(['x`y']);
  });

  it("refuses broken expressions and what Ansible's JMESPath lacks, naming the selector", () => {
    expect(() => jmesSearch('[? role == `primary`', data)).toThrow(/^cannot read selector "\[\? role == `primary`": .*Rbracket/);
    expect(() => jmesSearch('[? role == #]', data)).toThrow(/cannot read selector .*unknown character: #/);
    // JMESPath Community parses `=` as a binding that would pick every member; Ansible refuses it.
    expect(() => jmesSearch('[? role = `replica`]', data)).toThrow(
      /cannot read selector .*an assignment \(=\) is not JMESPath as Ansible's json_query reads it/,
    );
    expect(() => jmesSearch('let $r = `replica` in [? role == $r]', data)).toThrow(/a let expression is not/);
    expect(() => jmesSearch('[? n + `1` > `2`]', data)).toThrow(/arithmetic is not/);
    expect(() => jmesSearch('[? upper(role) == `PRIMARY`]', data)).toThrow(/cannot read selector .*unknown function upper\(\)/);
    expect(() => jmesSearch('[? {a: find_first(tags, &@)}]', data)).toThrow(/unknown function find_first\(\)/);
    expect(() => jmesSearch('[? contains(n, `1`)]', data)).toThrow(/cannot evaluate selector .*contains/);
  });

  it('picks members of the cluster only, in inventory order', () => {
    expect(names(members)).toEqual(['10.10.10.11', '10.10.10.12', '10.10.10.13']);
    expect(names(selectMembers('[]', members))).toEqual(['10.10.10.11', '10.10.10.12', '10.10.10.13']);
    expect(names(selectMembers(undefined, members))).toEqual([]);
    expect(names(selectMembers('[0]', members))).toEqual(['10.10.10.11']);
    expect(names(selectMembers('[].pg_seq', members))).toEqual([]);
  });
});

describe('pg services (spec 3.2)', () => {
  it('primary: every member through pgbouncer, Patroni decides who passes /primary', () => {
    expect(servers(service('primary'))).toEqual(['pg-test-1 10.10.10.11:6432', 'pg-test-2 10.10.10.12:6432', 'pg-test-3 10.10.10.13:6432']);
  });

  it('replica: every member, the primary (and offline instances) only as backup', () => {
    expect(servers(service('replica'))).toEqual(['pg-test-1 10.10.10.11:6432 backup', 'pg-test-2 10.10.10.12:6432', 'pg-test-3 10.10.10.13:6432']);
    const withOffline = clusterMembers(
      { ...hostvars, '10.10.10.14': inventoryHost({ pg_cluster: 'pg-test', pg_seq: 4, pg_role: 'offline' }) },
      'pg-test',
    );
    expect(servers(service('replica'), { ...ctx, members: withOffline }).at(-1)).toBe('pg-test-4 10.10.10.14:6432 backup');
  });

  it('default: every member straight to postgres', () => {
    expect(servers(service('default'))).toEqual(['pg-test-1 10.10.10.11:5432', 'pg-test-2 10.10.10.12:5432', 'pg-test-3 10.10.10.13:5432']);
  });

  it('offline: offline-query members, with plain replicas as backup and never the primary', () => {
    expect(servers(service('offline'))).toEqual(['pg-test-3 10.10.10.13:5432', 'pg-test-2 10.10.10.12:5432 backup']);
    // Without an offline instance, the replicas still answer as backups.
    const plain = clusterMembers({ ...hostvars, '10.10.10.13': inventoryHost({ pg_cluster: 'pg-test', pg_seq: 3, pg_role: 'replica' }) }, 'pg-test');
    expect(servers(service('offline'), { ...ctx, members: plain })).toEqual([
      'pg-test-2 10.10.10.12:5432 backup',
      'pg-test-3 10.10.10.13:5432 backup',
    ]);
    // An offline role counts too.
    const role = clusterMembers({ ...hostvars, '10.10.10.13': inventoryHost({ pg_cluster: 'pg-test', pg_seq: 3, pg_role: 'offline' }) }, 'pg-test');
    expect(servers(service('offline'), { ...ctx, members: role })).toEqual(['pg-test-3 10.10.10.13:5432', 'pg-test-2 10.10.10.12:5432 backup']);
  });

  it('resolves the destination port per member: default dest, postgres, pgbouncer, a number', () => {
    const m = { ...inventoryHost({ pg_port: 15432, pgbouncer_port: 16432 }), inventory_hostname: 'h', pg_cluster: 'c', pg_seq: 1 } as Member;
    expect(destinationPort('default', m, 'postgres')).toBe(15432);
    expect(destinationPort(undefined, m, 'pgbouncer')).toBe(16432);
    expect(destinationPort('postgres', m, 'pgbouncer')).toBe(15432);
    expect(destinationPort(6543, m, 'pgbouncer')).toBe(6543);
    expect(destinationPort('pgbouncer', { ...m, pgbouncer_port: PARAM_DEFAULTS.pgbouncer_port }, 'postgres')).toBe(6432);
  });

  it('takes the health check, weight, Patroni port and TLS from each member', () => {
    const custom = clusterMembers(
      { a: inventoryHost({ pg_cluster: 'x', pg_seq: 1, pg_role: 'primary', pg_weight: 10, patroni_port: 8009, patroni_ssl_enabled: true }) },
      'x',
    );
    const s = pgHaproxyService(service('primary'), { ...ctx, cluster: 'x', members: custom });
    expect(s.servers[0]).toEqual({
      name: 'x-1',
      ip: 'a',
      port: 6432,
      weight: 10,
      backup: false,
      options: 'check-ssl ca-file /pg/cert/ca.crt check port 8009',
    });
    expect(s.options).toEqual([
      'option httpchk',
      'option http-keep-alive',
      'http-check send meth OPTIONS uri /primary',
      'http-check expect status 200',
    ]);
    expect(s).toMatchObject({ name: 'x-primary', port: 5433, ip: '*', maxconn: 5000, balance: 'roundrobin', protocol: 'tcp' });
  });

  it('puts the RTO plan in default-server (spec 3.4), unless the service gives its own options', () => {
    expect(rtoServerDefaults('fast', PG_RTO_PLAN)).toMatch(
      /^inter 1s fastinter 0.5s downinter 1s rise 3 fall 3 on-marked-down shutdown-sessions slowstart 30s maxconn 3000/,
    );
    expect(rtoServerDefaults('norm', PG_RTO_PLAN)).toMatch(/^inter 2s fastinter 1s downinter 2s rise 3 fall 3 /);
    expect(rtoServerDefaults('safe', PG_RTO_PLAN)).toMatch(/^inter 3s fastinter 1.5s downinter 3s /);
    expect(rtoServerDefaults('wide', PG_RTO_PLAN)).toMatch(/^inter 4s fastinter 2s downinter 4s /);
    expect(rtoServerDefaults('nonsense', PG_RTO_PLAN)).toBe(rtoServerDefaults('norm', PG_RTO_PLAN));
    expect(pgHaproxyService(service('primary'), ctx).default).toBe(rtoServerDefaults('norm', PG_RTO_PLAN));
    expect(pgHaproxyService(service('primary'), { ...ctx, rto: 'fast' }).default).toBe(rtoServerDefaults('fast', PG_RTO_PLAN));
    expect(pgHaproxyService({ ...service('primary'), options: 'inter 9s' }, ctx).default).toBe('inter 9s');
  });

  it('renders one conf.d file per service, with its listen section and servers', () => {
    const files = pgServiceFiles(
      [...PARAM_DEFAULTS.pg_default_services, { name: 'standby', port: 5435, dest: 'postgres', maxconn: 100, balance: 'leastconn' }],
      ctx,
    );
    expect([...files.keys()]).toEqual(['pg-test-primary', 'pg-test-replica', 'pg-test-default', 'pg-test-offline', 'pg-test-standby']);
    const replica = files.get('pg-test-replica') as string;
    expect(replica).toContain('listen pg-test-replica\n    bind *:5434\n    mode tcp\n    maxconn 5000\n    balance roundrobin\n');
    expect(replica).toContain('    http-check send meth OPTIONS uri /read-only\n    http-check expect status 200\n');
    expect(replica).toMatch(/^ {4}server pg-test-1 10\.10\.10\.11:6432 backup weight 100 check port 8008$/m);
    expect(replica).toMatch(/^ {4}server pg-test-2 10\.10\.10\.12:6432 weight 100 check port 8008$/m);
    const standby = files.get('pg-test-standby') as string;
    expect(standby).toContain('    maxconn 100\n    balance leastconn\n');
    // No selector means every member (Pigsty's "[]").
    expect(standby.match(/^ {4}server /gm)).toHaveLength(3);
    expect(() => pgServiceFiles([service('primary'), service('primary')], ctx)).toThrow(/defined twice/);
    expect(() => pgServiceFiles([{ ...service('replica'), backup: '[? pg_role = `primary`]' }], ctx)).toThrow(
      /^service replica of pg-test, backup: cannot read selector "\[\? pg_role = `primary`\]": an assignment/,
    );
  });

  it("removes only this cluster's stale files, not those of a cluster whose name extends it", () => {
    const existing = [
      'pg-test-primary.cfg',
      'pg-test-old.cfg',
      'pg-test-2-primary.cfg',
      'pg-testing.cfg',
      'pg-meta-primary.cfg',
      'pg-test-notes.txt',
    ];
    expect(staleServiceFiles(existing, 'pg-test', ['pg-test-primary'], ['pg-test-2', 'pg-meta'])).toEqual(['pg-test-old.cfg']);
    expect(staleServiceFiles(existing, 'pg-test', [], ['pg-meta'])).toEqual(['pg-test-primary.cfg', 'pg-test-old.cfg', 'pg-test-2-primary.cfg']);
  });
});

describe('vip-manager and booleans', () => {
  const base = {
    ...PARAM_DEFAULTS,
    inventory_hostname: '10.10.10.11',
    pg_cluster: 'pg-test',
    pg_instance: 'pg-test-1',
    groups: { etcd: ['10.10.10.12', '10.10.10.10'] },
  };

  it('watches the cluster leader key with the instance name, over TLS to the sorted etcd group', () => {
    expect(vipTemplateVars({ ...base, pg_vip_address: '10.10.10.3/24', pg_etcd_password: '' })).toMatchObject({
      trigger_key: '/pg/pg-test/leader',
      instance: 'pg-test-1',
      ip: '10.10.10.3',
      netmask: 24,
      interface: 'eth0',
      endpoints: ['https://10.10.10.10:2379', 'https://10.10.10.12:2379'],
      etcd_user: 'pg-test',
      etcd_password: 'pg-test',
    });
    expect(
      vipTemplateVars({ ...base, pg_namespace: '/x', pg_etcd_password: 'secret', etcd_port: 2479, pg_vip_interface: 'ens3' }, 'eth9'),
    ).toMatchObject({
      trigger_key: '/x/pg-test/leader',
      etcd_password: 'secret',
      interface: 'eth9',
      endpoints: ['https://10.10.10.10:2479', 'https://10.10.10.12:2479'],
    });
  });

  it('renders vip-manager.yml with each value quoted where it carries YAML syntax', () => {
    const render = (over: Record<string, unknown>) =>
      renderTemplate(templatePath(new URL('../../roles/pgsql/role.ts', import.meta.url).href, 'vip-manager.hbs'), {
        vip: vipTemplateVars({ ...base, pg_vip_address: '10.10.10.3/24', ...over }, 'eth1'),
      });
    const plain = render({});
    expect(plain).toContain('\ntrigger-key: "/pg/pg-test/leader"\ntrigger-value: "pg-test-1"\n');
    expect(plain).toContain('\nip: 10.10.10.3\nnetmask: 24\ninterface: eth1\n');
    expect(plain).toContain('\n  - https://10.10.10.10:2379\n  - https://10.10.10.12:2379\n');
    const hostile = render({ pg_etcd_password: 'pw"\ndcs-type: consul', pg_instance: 'x\u2028ip: 6.6.6.6' });
    const doc = YAML.parse(hostile) as Record<string, unknown>;
    expect([doc['etcd-password'], doc['trigger-value'], doc['dcs-type'], doc.ip]).toEqual([
      'pw"\ndcs-type: consul',
      'x\u2028ip: 6.6.6.6',
      'etcd',
      '10.10.10.3',
    ]);
    expect(hostile).toContain('trigger-value: "x\\u2028ip: 6.6.6.6"');
  });

  it('uses the shard and group for Citus', () => {
    expect(vipTemplateVars({ ...base, pg_mode: 'citus', pg_shard: 'pg-citus', pg_group: 2 })).toMatchObject({
      trigger_key: '/pg/pg-citus/2/leader',
      etcd_user: 'pg-citus',
    });
  });

  it('finds the interface holding an address', () => {
    const out =
      '1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet 10.10.10.11/24 brd 10.10.10.255 scope global eth0\n3: br0@if7    inet 10.9.0.1/16 scope global br0';
    expect(interfaceOf(out, '10.10.10.11')).toBe('eth0');
    expect(interfaceOf(out, '10.9.0.1')).toBe('br0');
    expect(interfaceOf(out, '10.10.10.1')).toBeUndefined();
  });
});

describe('where the service steps run', () => {
  type T = {
    kind: string;
    name: string;
    tasks?: T[];
    when?: (v: RoleVars) => boolean;
    delegate_to?: (v: RoleVars) => string;
    loop?: (v: RoleVars) => unknown[];
  };
  const flat = (items: T[]): T[] => items.flatMap((i) => (i.kind === 'include' ? flat(i.tasks ?? []) : [i]));
  const tasks = new Map(flat(accessTasks as unknown as T[]).map((t) => [t.name, t]));
  const host = (extra: Partial<RoleVars>): RoleVars =>
    ({
      ...PARAM_DEFAULTS,
      inventory_hostname: '10.10.10.11',
      group_names: [],
      groups: { proxy: ['10.10.10.20', '10.10.10.21'] },
      hostvars,
      pg_cluster: 'pg-test',
      ...extra,
    }) as RoleVars;

  it('writes to the local haproxy without a provider group, or to each provider host from the primary', () => {
    const local = host({ pg_role: 'replica', pg_service_provider: '' });
    expect(tasks.get('write haproxy service files')?.when?.(local)).toBe(true);
    expect((tasks.get('write haproxy service files')?.loop?.(local) as { name: string }[]).map((f) => f.name)).toEqual([
      'pg-test-primary',
      'pg-test-replica',
      'pg-test-default',
      'pg-test-offline',
    ]);
    expect(tasks.get('write haproxy service files on provider #1')?.when?.(local)).toBe(false);

    const primary = host({ pg_role: 'primary', pg_service_provider: 'proxy' });
    expect(tasks.get('write haproxy service files')?.when?.(primary)).toBe(false);
    expect(tasks.get('write haproxy service files on provider #1')?.when?.(primary)).toBe(true);
    expect(tasks.get('write haproxy service files on provider #1')?.delegate_to?.(primary)).toBe('10.10.10.20');
    expect(tasks.get('write haproxy service files on provider #2')?.delegate_to?.(primary)).toBe('10.10.10.21');
    expect(tasks.get('write haproxy service files on provider #3')?.when?.(primary)).toBe(false);
    expect(tasks.get('write haproxy service files on provider #1')?.when?.(host({ pg_role: 'replica', pg_service_provider: 'proxy' }))).toBe(false);
    // A provider name that is no group means the local haproxy, as in Pigsty.
    expect(tasks.get('write haproxy service files')?.when?.(host({ pg_role: 'primary', pg_service_provider: 'nosuch' }))).toBe(true);
  });
});
