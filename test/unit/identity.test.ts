import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../engine/inventory.ts';
import { inventoryVars } from '../../engine/vars.ts';
import { nodeIdentity } from '../../roles/node_id/node-identity.ts';
import { PARAM_DEFAULTS, type PigstyVars } from '../../roles/params.ts';
import { pgIdentity } from '../../roles/pg_id/pg-identity.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/validate/${name}`, import.meta.url));

describe('identity of the four-node inventory', () => {
  const inv = loadInventory(fixture('full.yml'));
  const hostVars = new Map([...inv.hosts.keys()].map((h) => [h, inventoryVars(inv, h).vars as PigstyVars]));
  const pg = (host: string) => pgIdentity(host, hostVars);
  const node = (host: string) => nodeIdentity({ ...PARAM_DEFAULTS, ...hostVars.get(host) }, `probed-${host}`);

  it('names nodes after their PostgreSQL instance', () => {
    expect([...hostVars.keys()].map(node)).toEqual([
      { nodename: 'pg-meta-1', node_cluster: 'pg-meta' },
      { nodename: 'pg-test-1', node_cluster: 'pg-test' },
      { nodename: 'pg-test-2', node_cluster: 'pg-test' },
      { nodename: 'pg-test-3', node_cluster: 'pg-test' },
    ]);
  });

  it('gives pg-meta a one-member cluster', () => {
    expect(pg('10.10.10.10')).toEqual({
      pg_shard: 'pg-meta',
      pg_group: 0,
      pg_instance: 'pg-meta-1',
      pg_service: 'pg-meta-primary',
      pg_is_primary: true,
      pg_cluster_size: 1,
      pg_cluster_members: ['10.10.10.10'],
      pg_cluster_replicas: [],
      pg_seq_next: 2,
      pg_primary_list: ['10.10.10.10'],
      pg_primary_ip: '10.10.10.10',
      pg_primary_seq: 1,
      pg_primary_ins: 'pg-meta-1',
    });
  });

  it('gives every pg-test member the same cluster facts and its own instance facts', () => {
    const cluster = {
      pg_shard: 'pg-test',
      pg_group: 0,
      pg_cluster_size: 3,
      pg_cluster_members: ['10.10.10.11', '10.10.10.12', '10.10.10.13'],
      pg_cluster_replicas: ['10.10.10.12', '10.10.10.13'],
      pg_seq_next: 4,
      pg_primary_list: ['10.10.10.11'],
      pg_primary_ip: '10.10.10.11',
      pg_primary_seq: 1,
      pg_primary_ins: 'pg-test-1',
    };
    expect(pg('10.10.10.11')).toEqual({ ...cluster, pg_instance: 'pg-test-1', pg_service: 'pg-test-primary', pg_is_primary: true });
    expect(pg('10.10.10.12')).toEqual({ ...cluster, pg_instance: 'pg-test-2', pg_service: 'pg-test-replica', pg_is_primary: false });
    expect(pg('10.10.10.13')).toEqual({ ...cluster, pg_instance: 'pg-test-3', pg_service: 'pg-test-replica', pg_is_primary: false });
  });
});

describe('nodeIdentity', () => {
  it('prefers <pg_cluster>-<pg_seq> even over an explicit nodename, unless node_id_from_pg is off', () => {
    const vars = { ...PARAM_DEFAULTS, nodename: 'meta1', pg_cluster: 'pg-meta', pg_seq: 2 };
    expect(nodeIdentity(vars, 'host').nodename).toBe('pg-meta-2');
    expect(nodeIdentity({ ...vars, node_id_from_pg: false }, 'host').nodename).toBe('meta1');
  });

  it('falls back to the explicit nodename, then to the probed hostname (an empty name counts as unset)', () => {
    expect(nodeIdentity({ ...PARAM_DEFAULTS, nodename: 'minio-1' }, 'host')).toEqual({ nodename: 'minio-1', node_cluster: 'nodes' });
    expect(nodeIdentity({ ...PARAM_DEFAULTS, nodename: '' }, 'host').nodename).toBe('host');
    expect(nodeIdentity({ ...PARAM_DEFAULTS, pg_cluster: 'pg-x' }, 'host').nodename).toBe('host');
  });

  it('lets pg_cluster replace an unset (so defaulted), empty or default node_cluster, not a chosen one', () => {
    expect(nodeIdentity({ ...PARAM_DEFAULTS, pg_cluster: 'pg-x', pg_seq: 1 }, 'h').node_cluster).toBe('pg-x');
    for (const node_cluster of ['', 'nodes']) {
      expect(nodeIdentity({ ...PARAM_DEFAULTS, pg_cluster: 'pg-x', pg_seq: 1, node_cluster }, 'h').node_cluster).toBe('pg-x');
    }
    expect(nodeIdentity({ ...PARAM_DEFAULTS, pg_cluster: 'pg-x', node_cluster: 'meta' }, 'h').node_cluster).toBe('meta');
    expect(nodeIdentity({ ...PARAM_DEFAULTS, pg_cluster: 'pg-x', node_id_from_pg: false }, 'h').node_cluster).toBe('nodes');
  });
});

describe('pgIdentity', () => {
  const hosts = (entries: [string, PigstyVars][]) => new Map(entries);

  it('is undefined for a host without a complete PostgreSQL identity', () => {
    const m = hosts([
      ['10.0.0.1', { pg_cluster: 'pg-x', pg_seq: 1 }],
      ['10.0.0.2', {}],
    ]);
    expect(pgIdentity('10.0.0.1', m)).toBeUndefined();
    expect(pgIdentity('10.0.0.2', m)).toBeUndefined();
    expect(pgIdentity('10.0.0.3', m)).toBeUndefined();
  });

  it('says unknown for the primary unless there is exactly one', () => {
    const two = hosts([
      ['10.0.0.1', { pg_cluster: 'pg-x', pg_seq: 1, pg_role: 'primary' }],
      ['10.0.0.2', { pg_cluster: 'pg-x', pg_seq: 2, pg_role: 'primary' }],
    ]);
    expect(pgIdentity('10.0.0.1', two)).toMatchObject({
      pg_primary_list: ['10.0.0.1', '10.0.0.2'],
      pg_primary_ip: 'unknown',
      pg_primary_seq: 'unknown',
      pg_primary_ins: 'unknown',
    });
    const none = hosts([['10.0.0.1', { pg_cluster: 'pg-x', pg_seq: 1, pg_role: 'replica' }]]);
    expect(pgIdentity('10.0.0.1', none)).toMatchObject({ pg_primary_list: [], pg_primary_ip: 'unknown', pg_cluster_replicas: ['10.0.0.1'] });
  });

  it('keeps shard and group for Citus, sorts members as strings like Pigsty, and ignores other clusters', () => {
    const m = hosts([
      ['10.10.10.9', { pg_cluster: 'pg-c1', pg_seq: 5, pg_role: 'replica', pg_shard: 'pg-citus', pg_group: 1 }],
      ['10.10.10.10', { pg_cluster: 'pg-c1', pg_seq: 4, pg_role: 'primary', pg_shard: 'pg-citus', pg_group: 1 }],
      ['10.10.10.11', { pg_cluster: 'pg-c2', pg_seq: 9, pg_role: 'primary' }],
    ]);
    expect(pgIdentity('10.10.10.9', m)).toMatchObject({
      pg_shard: 'pg-citus',
      pg_group: 1,
      pg_instance: 'pg-c1-5',
      pg_service: 'pg-c1-replica',
      pg_cluster_members: ['10.10.10.10', '10.10.10.9'],
      pg_cluster_size: 2,
      pg_seq_next: 6,
      pg_primary_ins: 'pg-c1-4',
    });
  });
});
