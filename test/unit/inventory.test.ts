import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ancestorsOf, depthOf, hostsOf, loadInventory, parseInventory } from '../../engine/inventory.ts';
import { thrown } from './thrown.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/inventory/${name}`, import.meta.url));

describe('a Pigsty full.yml-shaped inventory', () => {
  const inv = loadInventory(fixture('full.yml'));

  it('lists hosts in first-seen order with IP names kept as strings', () => {
    expect([...inv.hosts.keys()]).toEqual(['10.10.10.10', '10.10.10.11', '10.10.10.12', '10.10.10.13']);
  });

  it('has the implicit all and ungrouped groups first, then groups in file order', () => {
    expect([...inv.groups.keys()]).toEqual(['all', 'ungrouped', 'infra', 'etcd', 'minio', 'pg-meta', 'pg-test']);
    expect(inv.groups.get('all')?.children).toEqual(['ungrouped', 'infra', 'etcd', 'minio', 'pg-meta', 'pg-test']);
    expect(inv.groups.get('pg-test')?.parents).toEqual(['all']);
    expect(inv.groups.get('ungrouped')?.hosts).toEqual([]);
  });

  it('merges the host vars of a host listed in four groups', () => {
    const admin = inv.hosts.get('10.10.10.10');
    expect(admin?.groups).toEqual(['infra', 'etcd', 'minio', 'pg-meta']);
    expect(admin?.vars).toEqual({ infra_seq: 1, etcd_seq: 1, minio_seq: 1, pg_seq: 1, pg_role: 'primary' });
    expect(admin?.paths).toEqual([
      ['all', 'children', 'infra', 'hosts', '10.10.10.10'],
      ['all', 'children', 'etcd', 'hosts', '10.10.10.10'],
      ['all', 'children', 'minio', 'hosts', '10.10.10.10'],
      ['all', 'children', 'pg-meta', 'hosts', '10.10.10.10'],
    ]);
  });

  it('keeps the pg-test cluster definition', () => {
    const pgTest = inv.groups.get('pg-test');
    expect(pgTest?.hosts).toEqual(['10.10.10.11', '10.10.10.12', '10.10.10.13']);
    expect(pgTest?.vars.pg_users).toEqual([{ name: 'test', password: 'test', pgbouncer: true, roles: ['dbrole_admin'] }]);
    expect(pgTest?.vars.pg_vip_enabled).toBe(true);
    expect(inv.hosts.get('10.10.10.13')?.vars).toEqual({ pg_seq: 3, pg_role: 'replica', pg_offline_query: true });
    expect(inv.groups.get('pg-meta')?.vars.pg_databases).toEqual([{ name: 'meta', baseline: 'cmdb.sql', schemas: ['pigsty'] }]);
  });

  it('keeps all.vars, including the y flags pgBackRest needs as text', () => {
    const all = inv.groups.get('all');
    expect(all?.vars.admin_ip).toBe('10.10.10.10');
    expect(all?.vars.pg_version).toBe(17);
    expect(all?.vars.pgbackrest_repo).toEqual({ minio: { type: 's3', block: 'y', bundle: 'y', storage_port: 9000 } });
  });

  it('locates a host var in the file', () => {
    expect(inv.locate(['all', 'children', 'pg-test', 'hosts', '10.10.10.13', 'pg_offline_query'])).toEqual({
      file: fixture('full.yml'),
      line: 33,
      column: 53,
    });
    expect(inv.warnings).toEqual([]);
  });
});

describe('nested groups, shared groups and implicit groups', () => {
  const inv = loadInventory(fixture('nested.yml'));

  it('puts hosts listed only under all into ungrouped', () => {
    expect(inv.hosts.get('10.0.0.9')?.groups).toEqual(['all', 'ungrouped']);
    expect(inv.groups.get('ungrouped')?.hosts).toEqual(['10.0.0.9']);
  });

  it('records a group referenced from two parents once, with both definitions', () => {
    const prod = inv.groups.get('web-prod');
    expect(prod?.parents).toEqual(['web', 'db']);
    expect(prod?.path).toEqual(['all', 'children', 'web', 'children', 'web-prod']);
    expect(prod?.paths).toEqual([
      ['all', 'children', 'web', 'children', 'web-prod'],
      ['all', 'children', 'db', 'children', 'web-prod'],
    ]);
    expect(prod?.vars).toEqual({ level: 'web-prod', prod_var: 'p', second_definition: true });
  });

  it('attaches a top-level group other than all under all; a group lists its hosts level by level as Ansible does', () => {
    expect(inv.groups.get('standalone')?.parents).toEqual(['all']);
    expect(inv.groups.get('all')?.children).toEqual(['ungrouped', 'web', 'zeta', 'alpha', 'db', 'standalone']);
    expect(hostsOf(inv, 'all')).toEqual(['10.0.0.9', '10.0.0.2', '10.0.0.5', '10.0.0.1']);
  });

  it('merges a host listed in three groups, later listings winning', () => {
    const h = inv.hosts.get('10.0.0.2');
    expect(h?.groups).toEqual(['web-prod', 'zeta', 'alpha']);
    expect(h?.vars).toEqual({ z: 2, a: 1 });
  });

  it('walks the group tree', () => {
    expect(ancestorsOf(inv, 'web-prod')).toEqual(['web', 'db', 'all']);
    expect(depthOf(inv, 'all')).toBe(0);
    expect(depthOf(inv, 'zeta')).toBe(1);
    expect(depthOf(inv, 'web-prod')).toBe(2);
    expect(hostsOf(inv, 'db')).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('accepts a single host name in place of a hosts mapping and drops ungrouped once a host has a group', () => {
    const inline = parseInventory('all:\n  hosts: {10.0.0.1: {x: 1}}\n  children:\n    g:\n      hosts: 10.0.0.1\n', 'inline.yml');
    expect(inline.hosts.get('10.0.0.1')?.groups).toEqual(['all', 'g']);
    expect(inline.groups.get('ungrouped')?.hosts).toEqual([]);
  });
});

describe('inventory structure errors', () => {
  it('rejects hosts written as a list, at the hosts key', () => {
    const e = thrown(() => loadInventory(fixture('hosts-list.yml')));
    expect(e.message).toBe('hosts of group "pg-test" is a list');
    expect(e.context).toEqual({ file: fixture('hosts-list.yml'), line: 4, column: 7, path: 'all.children.pg-test.hosts' });
    expect(e.expected).toBe('a mapping of host names to host vars, e.g. hosts: {10.10.10.11: {pg_seq: 1}}');
  });

  it('rejects group vars written as a list', () => {
    const e = thrown(() => loadInventory(fixture('vars-list.yml')));
    expect(e.describe()).toBe(
      `${fixture('vars-list.yml')}:6:7: all.children.etcd.vars: vars of group "etcd" are a list (expected a mapping of variable names to values)`,
    );
  });

  it('rejects a child group cycle where it closes', () => {
    const e = thrown(() => loadInventory(fixture('cycle.yml')));
    expect(e.message).toBe('group "outer" under "inner" makes a cycle: inner -> outer -> inner');
    expect(e.context).toMatchObject({ line: 10, column: 9, path: 'all.children.inner.children.outer' });
  });

  it('rejects a group that is its own child, and all as a child', () => {
    expect(thrown(() => parseInventory('a:\n  children:\n    a:\n', 'self.yml')).message).toBe('group "a" under "a" makes a cycle: a -> a');
    expect(thrown(() => parseInventory('g:\n  children:\n    all:\n', 'all.yml')).context).toMatchObject({ line: 3, path: 'g.children.all' });
  });

  it('rejects files that are not a mapping of groups', () => {
    expect(thrown(() => parseInventory('', 'empty.yml')).message).toBe('an inventory must be a mapping of groups, but this file is empty');
    expect(thrown(() => parseInventory('- 10.0.0.1\n', 'list.yml')).message).toBe(
      'an inventory must be a mapping of groups, but this file is a list',
    );
    expect(thrown(() => parseInventory('plugin: aws_ec2\n', 'aws.yml')).message).toBe(
      'this is an inventory plugin configuration, not a YAML inventory',
    );
  });

  it('rejects misspelt section keys, scalar groups, list host vars and host:port names', () => {
    const typo = thrown(() => parseInventory('all:\n  children:\n    pg-test:\n      host:\n        10.0.0.1:\n', 'typo.yml'));
    expect(typo.describe()).toBe('typo.yml:4:7: all.children.pg-test.host: unknown key "host" in group "pg-test" (expected hosts, vars or children)');
    expect(thrown(() => parseInventory('all:\n  children:\n    pg-test: 10.0.0.1\n', 's.yml')).message).toBe(
      'group "pg-test" is a string ("10.0.0.1")',
    );
    expect(thrown(() => parseInventory('g:\n  hosts:\n    10.0.0.1: [a]\n', 'hv.yml')).context).toMatchObject({ line: 3, column: 5 });
    expect(thrown(() => parseInventory('g:\n  hosts:\n    10.0.0.1:2222:\n', 'port.yml')).context.path).toBe('g.hosts["10.0.0.1:2222"]');
  });

  it('warns when a name is both a host and a group, and about duplicate keys', () => {
    const both = parseInventory('all:\n  children:\n    db:\n      hosts:\n        db:\n', 'both.yml');
    expect(both.warnings?.map((w) => w.describe())).toEqual([
      'both.yml:5:9: all.children.db.hosts.db: "db" names both a host and a group (expected distinct host and group names)',
    ]);
    const dup = parseInventory('g:\n  vars: {a: 1, a: 2}\n', 'dup.yml');
    expect(dup.groups.get('g')?.vars).toEqual({ a: 2 });
    expect(dup.warnings?.map((w) => w.describe())).toEqual([
      'dup.yml:2:16: duplicate key "a"; the last value is used (expected unique keys in a mapping)',
    ]);
  });
});
