import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { NOT_IMPLEMENTED } from '../../engine/schema.ts';
import { MagicVars, NodeFacts, PgFacts, PigstyFacts, PigstyParams, knownParams, type PigstyVars } from '../../roles/params.ts';

// strict: a schema bug (unknown keyword, loose tuple) fails here rather than passing silently.
const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addKeyword({ keyword: NOT_IMPLEMENTED, schemaType: 'string' });
const validate = ajv.compile(PigstyParams);
const ok = (vars: Record<string, unknown>): boolean => validate(vars);

describe('the parameter schema', () => {
  it('declares every module the roles read, sorted and without duplicates', () => {
    const names = knownParams();
    expect(names.length).toBeGreaterThan(300);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(names);
    for (const name of [
      'nodename',
      'node_cluster',
      'node_id_from_pg',
      'node_tune',
      'node_firewall_mode',
      'haproxy_services',
      'vip_vrid',
      'admin_ip',
      'infra_seq',
      'infra_portal',
      'etcd_seq',
      'etcd_cluster',
      'minio_seq',
      'minio_cluster',
      'pg_cluster',
      'pg_seq',
      'pg_role',
      'pg_users',
      'pg_databases',
      'pg_hba_rules',
      'pg_services',
      'pg_rto_plan',
      'pgbouncer_poolmode',
      'pgbackrest_repo',
      'juice_instances',
      'vibe_data',
      'code_port',
      'jupyter_enabled',
      'node_exporter_port',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('accepts an empty host (role defaults fill everything) and keys it does not know', () => {
    expect(ok({})).toBe(true);
    expect(ok({ ansible_user: 'vagrant', redis_cluster: 'redis-ms', anything: [1, { a: 2 }] })).toBe(true);
  });

  it.each([
    ['pg_role', ['primary', 'replica', 'standby', 'offline', 'delayed'], 'master'],
    ['node_firewall_mode', ['off', 'none', 'zone'], 'on'],
    ['node_selinux_mode', ['disabled', 'permissive', 'enforcing'], 'enabled'],
    ['pg_rto', ['fast', 'norm', 'safe', 'wide'], 'slow'],
    ['node_tune', ['oltp', 'olap', 'tiny', 'crit'], 'web'],
    ['pg_conf', ['oltp.yml', 'olap.yml', 'tiny.yml', 'crit.yml'], 'oltp'],
    ['node_admin_sudo', ['all', 'nopass', 'limit'], 'none'],
    ['node_dns_method', ['add', 'none', 'overwrite'], 'replace'],
    ['pg_dbsu_sudo', ['none', 'limit', 'all', 'nopass'], 'root'],
    ['patroni_mode', ['default', 'pause', 'remove'], 'off'],
    ['pgbouncer_poolmode', ['transaction', 'session', 'statement'], 'pool'],
  ])('%s takes exactly its enum', (name, good, bad) => {
    for (const value of good) expect(ok({ [name]: value }), `${name}: ${value}`).toBe(true);
    expect(ok({ [name]: bad })).toBe(false);
    expect(validate.errors?.[0]?.keyword).toBe('enum');
  });

  it('takes as infra_data an absolute path that leads where it reads, outside the system directories', () => {
    for (const good of ['/data/infra', '/var/lib/infra', '/home/infra', '/srv/infra/', '/data/infra.d', '/opt/etcetera'])
      expect(ok({ infra_data: good }), good).toBe(true);
    for (const bad of [
      '/',
      '//',
      'data/infra',
      '/etc',
      '/etc/',
      '/etc/infra',
      '/usr/local/infra',
      '/lib64',
      '/run/infra',
      '/var',
      '/var/',
      '/var/tmp',
      '/tmp',
      '/root',
      '/home/',
      '/data/../etc',
      '/data/infra/..',
      '/data/./infra',
      '//etc',
      '/data//infra',
    ])
      expect(ok({ infra_data: bad }), bad).toBe(false);
  });

  it('types numbers the way real inventories write them', () => {
    expect(ok({ pg_version: 17, pg_seq: 1, patroni_port: 8008, pg_port: 5432, vip_vrid: 128, pg_rpo: 1048576 })).toBe(true);
    expect(ok({ pg_version: '17' })).toBe(false);
    expect(ok({ pg_port: 70000 })).toBe(false);
    expect(ok({ vip_vrid: 0 })).toBe(false);
    expect(ok({ pg_seq: 1.5 })).toBe(false);
    expect(ok({ pg_dummy_filesize: '64MiB', haproxy_client_timeout: '24h', cert_validity: '7300d' })).toBe(true);
    expect(ok({ pg_max_conn: 'auto' }) && ok({ pg_max_conn: 500 })).toBe(true);
    expect(ok({ pg_max_conn: 'many' })).toBe(false);
    expect(ok({ pg_delay: 0 }) && ok({ pg_delay: '1h' })).toBe(true);
    expect(ok({ pg_shared_buffer_ratio: 0.25 }) && !ok({ pg_shared_buffer_ratio: 2 })).toBe(true);
  });

  it('takes a bare YAML 1.1 off for patroni_watchdog_mode', () => {
    expect(ok({ patroni_watchdog_mode: false }) && ok({ patroni_watchdog_mode: 'off' }) && ok({ patroni_watchdog_mode: 'required' })).toBe(true);
    expect(ok({ patroni_watchdog_mode: true })).toBe(false);
  });

  it('checks address forms', () => {
    expect(ok({ admin_ip: '10.10.10.10', vip_address: '10.10.10.9', pg_vip_address: '10.10.10.2/24' })).toBe(true);
    expect(ok({ admin_ip: '10.10.10.300' })).toBe(false);
    expect(ok({ pg_vip_address: '10.10.10.2' })).toBe(false);
    expect(ok({ pg_dns_target: 'vip' }) && ok({ pg_dns_target: '10.10.10.3' }) && !ok({ pg_dns_target: 'leader' })).toBe(true);
  });

  it('shapes pg_users and pg_databases entries', () => {
    expect(
      ok({
        pg_users: [
          { name: 'dbuser_meta', password: 'x', pgbouncer: true, roles: ['dbrole_admin', { name: 'pg_monitor', admin: true }] },
          { name: 'old_user', state: 'absent' },
        ],
        pg_databases: [
          { name: 'meta', schemas: ['pigsty', { name: 'app', owner: 'dbuser_meta' }], extensions: ['postgis', { name: 'vector', schema: 'public' }] },
          { name: 'scratch', state: 'recreate', pool_mode: 'session', pool_size: 16 },
        ],
      }),
    ).toBe(true);
    expect(ok({ pg_users: [{ password: 'no name' }] })).toBe(false);
    expect(ok({ pg_users: [{ name: 'Bad-Name' }] })).toBe(false);
    expect(ok({ pg_users: [{ name: 'u', state: 'recreate' }] })).toBe(false);
    expect(ok({ pg_databases: [{ name: 'd', state: 'drop' }] })).toBe(false);
    expect(ok({ pg_databases: [{ name: 'd', extensions: [{ schema: 'public' }] }] })).toBe(false);
  });

  it('shapes HBA rules: auth methods, address aliases and CIDRs, role filters, raw rules', () => {
    const rule = (r: Record<string, unknown>) => ok({ pg_hba_rules: [r] });
    for (const auth of ['pwd', 'ssl', 'sha', 'md5', 'ssl-md5', 'ssl-sha', 'cert', 'deny', 'reject', 'trust', 'ident', 'os', 'peer']) {
      expect(rule({ user: 'all', db: 'all', addr: 'intra', auth }), auth).toBe(true);
    }
    for (const addr of ['local', 'localhost', 'admin', 'infra', 'cluster', 'intra', 'intranet', 'world', 'all', '10.0.0.0/8', '172.17.0.1']) {
      expect(rule({ addr, auth: 'pwd' }), addr).toBe(true);
    }
    expect(rule({ addr: 'everywhere' })).toBe(false);
    expect(rule({ addr: '10.0.0.0/33' })).toBe(false);
    expect(rule({ addr: 'intra', auth: 'password' })).toBe(false);
    expect(rule({ addr: 'intra', role: 'offline', order: 525 }) && !rule({ addr: 'intra', role: 'leader' })).toBe(true);
    expect(rule({ title: 'raw', rules: ['host all all 0.0.0.0/0 reject'] })).toBe(true);
  });

  it('shapes services, RTO plans, juice instances', () => {
    expect(
      ok({
        pg_services: [
          { name: 'standby', port: 5435, dest: 'default', selector: '[]' },
          { name: 'tds', port: 10013, dest: 1433 },
        ],
      }),
    ).toBe(true);
    expect(ok({ pg_services: [{ name: 'x', port: 5435, dest: 'replica' }] })).toBe(false);
    expect(ok({ pg_services: [{ name: 'no-port' }] })).toBe(false);
    expect(ok({ pg_rto_plan: { norm: [30, 5, 10, 25, 5, '2s', '1s', '2s', 3, 3] } })).toBe(true);
    expect(ok({ pg_rto_plan: { norm: [30, 5, 10] } })).toBe(false);
    expect(ok({ juice_instances: { jfs: { path: '/fs', meta: 'postgres://u:p@h:5432/meta', port: 9567 } } })).toBe(true);
    expect(ok({ juice_instances: { jfs: { path: '/fs' } } })).toBe(false);
  });

  it('gives roles a closed static type: a misspelled parameter does not compile', () => {
    const v: PigstyVars = { pg_role: 'primary', pg_version: 17 };
    // @ts-expect-error pg_verison is not a parameter
    expect(v.pg_verison).toBeUndefined();
    // @ts-expect-error pg_role is an enum, not any string
    const bad: PigstyVars = { pg_role: 'master' };
    expect(bad).toBeDefined();
  });

  it('has facts and magic vars apart from parameters', () => {
    const props = (s: { properties: object }) => Object.keys(s.properties);
    expect(props(MagicVars)).toEqual(['inventory_hostname', 'group_names', 'groups']);
    expect(props(PgFacts)).toEqual(expect.arrayContaining(['pg_instance', 'pg_service', 'pg_is_primary', 'pg_cluster_members', 'pg_primary_ip']));
    expect(props(NodeFacts)).toEqual(expect.arrayContaining(['nodename', 'node_cluster', 'os_package', 'node_mem_mb']));
    expect(props(PigstyFacts)).toEqual(expect.arrayContaining([...props(MagicVars), ...props(PgFacts), ...props(NodeFacts)]));
    expect(knownParams()).not.toContain('pg_instance');
    expect(ajv.compile(PigstyFacts)({ inventory_hostname: '10.10.10.10', group_names: ['infra'], groups: { all: ['10.10.10.10'] } })).toBe(true);
  });
});
