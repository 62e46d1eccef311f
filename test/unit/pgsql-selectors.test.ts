import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../engine/yaml.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';
import { clusterMembers, selectMembers, type Member } from '../../roles/pgsql/selector.ts';
import type { RoleVars } from '../../roles/vars.ts';

// Every selector and backup expression Pigsty v4.0 ships (roles/pgsql/defaults/main.yml and conf/*.yml) or that
// this repository's inventories and fixtures write, evaluated on representative clusters, with the exact hosts
// each picks. The expectations were checked against Python's jmespath (what Ansible's json_query runs), except
// where noted; they must hold for whichever JMESPath implementation the services use.

const PIGSTY_V4_EXPRESSIONS = [
  '[]',
  '[? pg_role == `primary`]',
  '[? pg_role == `primary` || pg_role == `offline` ]',
  '[? pg_role == `offline` || pg_offline_query ]',
  '[? pg_role == `replica` && !pg_offline_query]',
];

/**
 * The cluster members as the inventory gives them: hostvars of every host, the cluster picked by pg_cluster. Only the
 * variables written here, some of them as no validated inventory has them: what the expressions see is the point.
 */
const cluster = (hosts: Record<string, Record<string, unknown>>, name = 'pg-test') =>
  clusterMembers(
    {
      '10.10.10.10': { pg_cluster: 'pg-meta', pg_seq: 1, pg_role: 'primary' },
      ...Object.fromEntries(Object.entries(hosts).map(([h, v]) => [h, { pg_cluster: name, ...v }])),
    } as unknown as RoleVars['hostvars'],
    name,
  );

// Pigsty's pg-test (conf/pigsty.yml, inventory/sandbox.yml): a primary, a replica, a replica serving offline queries.
const pgTest = cluster({
  '10.10.10.11': { pg_seq: 1, pg_role: 'primary' },
  '10.10.10.12': { pg_seq: 2, pg_role: 'replica' },
  '10.10.10.13': { pg_seq: 3, pg_role: 'replica', pg_offline_query: true },
});
// A dedicated offline instance, explicit false flags, and a member that sets neither pg_role nor pg_offline_query.
const withOffline = cluster({
  '10.10.10.11': { pg_seq: 1, pg_role: 'primary', pg_offline_query: false },
  '10.10.10.12': { pg_seq: 2, pg_role: 'replica', pg_offline_query: false },
  '10.10.10.13': { pg_seq: 3, pg_role: 'offline' },
  '10.10.10.14': { pg_seq: 4 },
});
// Values as `-e k=v` and hand-written inventories give them: strings. JMESPath compares without conversion, so
// "false" and "no" are non-empty strings, true in a filter, and the string "0" is no number.
const strings = cluster({
  '10.10.10.11': { pg_seq: '1', pg_role: 'primary', pg_offline_query: 'false', pg_weight: '100' },
  '10.10.10.12': { pg_seq: '2', pg_role: 'replica', pg_offline_query: 'no', pg_weight: '0' },
  '10.10.10.13': { pg_seq: '3', pg_role: 'replica', pg_offline_query: '', pg_weight: 0 },
  '10.10.10.14': { pg_seq: '4', pg_role: 'Replica', pg_offline_query: null, pg_weight: 10 },
});
// YAML 1.1 as Ansible reads an inventory: yes/no/on/off are booleans by the time a selector sees them.
const yaml = cluster(
  parseYaml(
    [
      '10.10.10.11: { pg_seq: 1, pg_role: primary, pg_offline_query: no }',
      '10.10.10.12: { pg_seq: 2, pg_role: replica, pg_offline_query: yes }',
      '10.10.10.13: { pg_seq: 3, pg_role: replica, pg_offline_query: off }',
    ].join('\n'),
    'hosts.yml',
  ).data as Record<string, Record<string, unknown>>,
);
const single = cluster({ '10.10.10.11': { pg_seq: 1, pg_role: 'primary' } });
const empty = cluster({});

const CLUSTERS = { pgTest, withOffline, strings, yaml, single, empty };
type ClusterName = keyof typeof CLUSTERS;

/** expression → cluster → the last octets of the hosts it picks, in order. */
const EXPECTED: Record<string, Record<ClusterName, number[]>> = {
  '[]': { pgTest: [11, 12, 13], withOffline: [11, 12, 13, 14], strings: [11, 12, 13, 14], yaml: [11, 12, 13], single: [11], empty: [] },
  '[? pg_role == `primary`]': { pgTest: [11], withOffline: [11], strings: [11], yaml: [11], single: [11], empty: [] },
  '[? pg_role == `primary` ]': { pgTest: [11], withOffline: [11], strings: [11], yaml: [11], single: [11], empty: [] },
  '[? pg_role == `replica` ]': { pgTest: [12, 13], withOffline: [12], strings: [12, 13], yaml: [12, 13], single: [], empty: [] },
  '[? pg_role == `primary` || pg_role == `offline` ]': { pgTest: [11], withOffline: [11, 13], strings: [11], yaml: [11], single: [11], empty: [] },
  '[? pg_role == `offline` || pg_offline_query ]': { pgTest: [13], withOffline: [13], strings: [11, 12], yaml: [12], single: [], empty: [] },
  '[? pg_role == `replica` && !pg_offline_query]': { pgTest: [12], withOffline: [12], strings: [13], yaml: [13], single: [], empty: [] },
  '[? pg_offline_query ]': { pgTest: [13], withOffline: [], strings: [11, 12], yaml: [12], single: [], empty: [] },
  // Ordering a string against a number is null (Python's jmespath 1.0 as Ansible ships it; 1.1 raises instead).
  '[? pg_weight > `0` ]': { pgTest: [], withOffline: [], strings: [14], yaml: [], single: [], empty: [] },
  '[? pg_seq == `2` ]': { pgTest: [12], withOffline: [12], strings: [], yaml: [12], single: [], empty: [] },
  "[? pg_seq == '2' ]": { pgTest: [], withOffline: [], strings: [12], yaml: [], single: [], empty: [] },
  '[? pg_role == `"replica"` && pg_offline_query == `true` ]': { pgTest: [13], withOffline: [], strings: [], yaml: [12], single: [], empty: [] },
  '[? !pg_role ]': { pgTest: [], withOffline: [14], strings: [], yaml: [], single: [], empty: [] },
  '[? pg_role != `primary` ]': { pgTest: [12, 13], withOffline: [12, 13, 14], strings: [12, 13, 14], yaml: [12, 13], single: [], empty: [] },
  '[*]': { pgTest: [11, 12, 13], withOffline: [11, 12, 13, 14], strings: [11, 12, 13, 14], yaml: [11, 12, 13], single: [11], empty: [] },
  '[0]': { pgTest: [11], withOffline: [11], strings: [11], yaml: [11], single: [11], empty: [] },
  '[-1]': { pgTest: [13], withOffline: [14], strings: [14], yaml: [13], single: [11], empty: [] },
  '[1:]': { pgTest: [12, 13], withOffline: [12, 13, 14], strings: [12, 13, 14], yaml: [12, 13], single: [], empty: [] },
  '[? pg_role == `replica` ] | [0]': { pgTest: [12], withOffline: [12], strings: [12], yaml: [12], single: [], empty: [] },
  // Not a list of members: picks none.
  '[].pg_seq': { pgTest: [], withOffline: [], strings: [], yaml: [], single: [], empty: [] },
};

/** Every string under a `selector` or `backup` key of the YAML files below `dir`. */
function expressionsIn(dir: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if ((key === 'selector' || key === 'backup') && typeof inner === 'string') found.push(inner);
        else walk(inner);
      }
    }
  };
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...expressionsIn(path));
    else if (/\.ya?ml$/.test(name)) walk(parseYaml(readFileSync(path, 'utf8'), path).data);
  }
  return found;
}

const octets = (ms: Member[]) => ms.map((m) => Number(m.inventory_hostname.split('.').at(-1)));

describe('service selectors (JMESPath over the cluster members)', () => {
  it('covers every expression of Pigsty v4.0, the role defaults, the inventories and the fixtures', () => {
    const defaults = PARAM_DEFAULTS.pg_default_services.flatMap((s) => [s.selector, s.backup].filter((e): e is string => e !== undefined));
    const repo = [...expressionsIn('inventory'), ...expressionsIn('test/fixtures')];
    expect(repo.length).toBeGreaterThan(0);
    for (const expression of [...PIGSTY_V4_EXPRESSIONS, ...defaults, ...repo]) expect(Object.keys(EXPECTED)).toContain(expression);
  });

  for (const [expression, byCluster] of Object.entries(EXPECTED)) {
    it(`picks the expected members with ${expression}`, () => {
      for (const [name, expected] of Object.entries(byCluster))
        expect({ name, picked: octets(selectMembers(expression, CLUSTERS[name as ClusterName])) }).toEqual({ name, picked: expected });
    });
  }

  it('picks nothing without an expression', () => {
    expect(selectMembers(undefined, pgTest)).toEqual([]);
    expect(selectMembers('', pgTest)).toEqual([]);
  });

  it('hands back the members themselves, with every host variable', () => {
    expect(selectMembers('[? pg_role == `replica` && !pg_offline_query]', pgTest)).toEqual([
      { inventory_hostname: '10.10.10.12', pg_cluster: 'pg-test', pg_seq: 2, pg_role: 'replica' },
    ]);
  });

  it('keeps only the members themselves: a literal or multiselect cannot make up a host', () => {
    const forged = '"10.0.0.9:5432\\n    server pwn 6.6.6.6:5432 check\\n#"';
    expect(selectMembers(`[].{inventory_hostname: \`${forged}\`, pg_cluster: pg_cluster, pg_seq: pg_seq}`, pgTest)).toEqual([]);
    expect(selectMembers(`\`[{"inventory_hostname": ${forged}, "pg_cluster": "pg-test", "pg_seq": 9}]\``, pgTest)).toEqual([]);
    expect(selectMembers('reverse(@)', pgTest).map((m) => m.inventory_hostname)).toEqual(['10.10.10.13', '10.10.10.12', '10.10.10.11']);
  });

  it('refuses a broken expression with a message naming it', () => {
    for (const bad of [
      '[? pg_role == `primary`',
      '[? pg_role == #]',
      '[? pg_role === `primary`]',
      '[? pg_role == `primary` && ]',
      '[?',
      '[? pg_role == `primary` ] |',
    ]) {
      expect(() => selectMembers(bad, pgTest)).toThrow(`cannot read selector ${JSON.stringify(bad)}: `);
    }
  });
});
