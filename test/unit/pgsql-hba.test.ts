import { describe, expect, it } from 'vitest';
import { PARAM_DEFAULTS, type HbaRule } from '../../roles/params.ts';
import { PG_DEFAULT_HBA_RULES, PGB_DEFAULT_HBA_RULES } from '../../roles/pgsql/defaults.ts';
import { authMethod, renderHbaFile, renderHbaRules, sortHbaRules, type HbaContext } from '../../roles/pgsql/hba-rules.ts';
import type { RoleVars } from '../../roles/vars.ts';

const ctx: HbaContext = {
  pg_role: 'replica',
  pg_offline_query: false,
  admin_ip: '10.10.10.10',
  infra: ['10.10.10.10'],
  cluster: ['10.10.10.11', '10.10.10.12'],
  intranet: ['10.0.0.0/8', '192.168.0.0/16'],
  users: { dbsu: 'postgres', repl: 'replicator', monitor: 'dbuser_monitor', admin: 'dbuser_dba' },
};

/** The rule lines of a rendering, without titles and blank lines. */
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('# '));

describe('HBA rule order', () => {
  it('sorts ordered rules by order, stable, and appends unordered ones as declared', () => {
    const rules: HbaRule[] = [
      { title: 'late', addr: 'local', order: 1000 },
      { title: 'free-1', addr: 'local' },
      { title: 'first', addr: 'local', order: 10 },
      { title: 'tie-a', addr: 'local', order: 500 },
      { title: 'free-2', addr: 'local' },
      { title: 'tie-b', addr: 'local', order: 500 },
    ];
    expect(sortHbaRules(rules).map((r) => r.title)).toEqual(['first', 'tie-a', 'tie-b', 'late', 'free-1', 'free-2']);
  });

  it('puts a business rule between the defaults by its order', () => {
    const text = renderHbaRules(
      [...PG_DEFAULT_HBA_RULES, { user: 'app', addr: '10.1.1.1', auth: 'trust', order: 120, title: 'app' }],
      'postgres',
      ctx,
    );
    const rendered = lines(text);
    expect(rendered.slice(0, 3)).toEqual([
      'local    all                postgres                              ident',
      'host     all                app                10.1.1.1           trust',
      'local    replication        postgres                              ident',
    ]);
  });
});

describe('HBA addresses and users', () => {
  const one = (rule: HbaRule, c: HbaContext = ctx, target: 'postgres' | 'pgbouncer' = 'postgres') => lines(renderHbaRules([rule], target, c));

  it('expands localhost to the socket and both loopbacks', () => {
    expect(one({ user: '${repl}', db: 'replication', addr: 'localhost' })).toEqual([
      'local    replication        replicator                            scram-sha-256',
      'host     replication        replicator         127.0.0.1/32       scram-sha-256',
      'host     replication        replicator         ::1/128            scram-sha-256',
    ]);
  });

  it('expands admin, infra, cluster, intranet and world', () => {
    expect(one({ user: '${admin}', addr: 'admin' })).toEqual(['host     all                dbuser_dba         10.10.10.10/32     scram-sha-256']);
    expect(one({ user: '${monitor}', addr: 'infra' })).toEqual(['host     all                dbuser_monitor     10.10.10.10/32     scram-sha-256']);
    expect(one({ addr: 'cluster' }).map((l) => l.split(/\s+/)[3])).toEqual(['10.10.10.11/32', '10.10.10.12/32']);
    expect(one({ addr: 'intranet' }).map((l) => l.split(/\s+/)[3])).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(one({ addr: 'intra' })).toEqual(one({ addr: 'intranet' }));
    expect(one({ addr: 'world', auth: 'ssl' })).toEqual([
      'hostssl  all                all                0.0.0.0/0          scram-sha-256',
      'hostssl  all                all                ::/0               scram-sha-256',
    ]);
    expect(one({ addr: 'all' })).toEqual(one({ addr: 'world' }));
    expect(one({ addr: '172.16.5.0/24', db: 'meta', user: '+dbrole_readonly' })).toEqual([
      'host     meta               +dbrole_readonly   172.16.5.0/24      scram-sha-256',
    ]);
  });

  it('defaults user and db to all and auth to pwd', () => {
    expect(one({ addr: '10.0.0.1' })).toEqual(['host     all                all                10.0.0.1           scram-sha-256']);
  });

  it('rejects unknown addresses, auth methods and roles, naming the rule', () => {
    expect(() => one({ addr: 'somewhere', title: 'bad' })).toThrow('HBA rule #1 (bad): invalid addr "somewhere"');
    expect(() => one({ addr: 'local', auth: 'kerberos' as never })).toThrow('unsupported auth "kerberos"');
    expect(() => one({ addr: 'local', role: 'leader' as never })).toThrow('invalid role "leader"');
    expect(() => one({ title: 'empty' })).toThrow('neither addr nor rules');
  });
});

describe('HBA auth methods', () => {
  it('maps aliases per target and password encryption', () => {
    expect(authMethod('pwd', 'postgres')).toBe('scram-sha-256');
    expect(authMethod('ssl', 'pgbouncer')).toBe('scram-sha-256');
    expect(authMethod('sha', 'postgres')).toBe('scram-sha-256');
    expect(authMethod('ssl-md5', 'postgres')).toBe('md5');
    expect(authMethod('deny', 'postgres')).toBe('reject');
    expect(authMethod('ident', 'postgres')).toBe('ident');
    expect(authMethod('os', 'postgres')).toBe('ident');
    expect(authMethod('ident', 'pgbouncer')).toBe('peer');
    expect(authMethod('os', 'pgbouncer')).toBe('peer');
    expect(authMethod('cert', 'postgres')).toBe('cert');
    expect(authMethod('gss', 'postgres')).toBeUndefined();
  });

  it('uses hostssl for ssl and cert auth, local for socket addresses whatever the auth', () => {
    const kind = (rule: HbaRule) => lines(renderHbaRules([rule], 'postgres', ctx))[0]?.split(/\s+/)[0];
    expect(kind({ addr: 'world', auth: 'cert' })).toBe('hostssl');
    expect(kind({ addr: 'world', auth: 'ssl-sha' })).toBe('hostssl');
    expect(kind({ addr: 'world', auth: 'md5' })).toBe('host');
    expect(kind({ addr: 'local', auth: 'ssl' })).toBe('local');
  });
});

describe('HBA role filters', () => {
  const rules: HbaRule[] = [
    { addr: 'local', user: 'a', title: 'for everyone' },
    { addr: 'local', user: 'b', role: 'common', title: 'common' },
    { addr: 'local', user: 'c', role: 'primary', title: 'primary only' },
    { addr: 'local', user: 'd', role: 'replica', title: 'replica only' },
    { addr: 'local', user: 'e', role: 'offline', title: 'offline only' },
    { rules: ['local all f trust', 'host all f 1.2.3.4/32 trust'], role: 'primary', title: 'raw lines' },
  ];
  const users = (c: HbaContext) =>
    renderHbaRules(rules, 'postgres', c)
      .split('\n')
      .filter((l) => /^#?(local|host)/.test(l));

  it('comments out rules of other roles and marks their titles', () => {
    const text = renderHbaRules(rules, 'postgres', ctx);
    expect(text).toContain('# primary only [primary] [DISABLED]\n#local    all                c ');
    expect(text).toContain('# replica only [replica]\nlocal    all                d ');
    expect(
      users(ctx)
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.split(/\s+/)[2]),
    ).toEqual(['a', 'b', 'd']);
    expect(text).toContain('#local all f trust\n#host all f 1.2.3.4/32 trust');
  });

  it('enables offline rules on offline members and on replicas serving offline queries', () => {
    const enabled = (c: HbaContext) =>
      users(c)
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.split(/\s+/)[2] ?? l);
    expect(enabled({ ...ctx, pg_role: 'offline' })).toEqual(['a', 'b', 'e']);
    expect(enabled({ ...ctx, pg_offline_query: true })).toEqual(['a', 'b', 'd', 'e']);
    expect(enabled({ ...ctx, pg_role: 'primary' })).toEqual(['a', 'b', 'c', 'f', 'f']);
  });
});

describe('pgbouncer HBA', () => {
  it('renders the pgbouncer defaults with peer for the dbsu and reject for denials', () => {
    const text = renderHbaRules(PGB_DEFAULT_HBA_RULES, 'pgbouncer', ctx);
    expect(lines(text)[0]).toBe('local    pgbouncer          postgres                              peer');
    expect(text).toContain('host     all                dbuser_monitor     0.0.0.0/0          reject');
  });

  it('refuses replication rules', () => {
    expect(() => renderHbaRules([{ addr: 'local', db: 'replication' }], 'pgbouncer', ctx)).toThrow(
      'db replication is not allowed in pgbouncer rules',
    );
    expect(() => renderHbaRules([{ addr: 'local', db: 'replication' }], 'postgres', ctx)).not.toThrow();
  });
});

describe('HBA file', () => {
  const vars = {
    ...PARAM_DEFAULTS,
    inventory_hostname: '10.10.10.12',
    groups: { infra: ['10.10.10.10'] },
    hostvars: {},
    admin_ip: '10.10.10.10',
    pg_role: 'replica',
    pg_instance: 'pg-test-2',
    pg_cluster_members: ['10.10.10.11', '10.10.10.12'],
  } as unknown as RoleVars;

  it('names the file, the instance and the aliases, then the rules', () => {
    const text = renderHbaFile(PG_DEFAULT_HBA_RULES, 'postgres', vars);
    expect(text.split('\n')[0]).toBe('# /pg/data/pg_hba.conf: PostgreSQL access rules of pg-test-2 [replica] at 10.10.10.12:5432');
    expect(text).toContain('#   cluster   : 10.10.10.11, 10.10.10.12');
    expect(text).toContain('#   intra     : 10.0.0.0/8, 192.168.0.0/16, 172.16.0.0/12');
    expect(text).toContain(
      '# dbsu access via local os user ident [default]\nlocal    all                postgres                              ident\n',
    );
    expect(text.endsWith('\n')).toBe(true);
    expect(renderHbaFile(PGB_DEFAULT_HBA_RULES, 'pgbouncer', vars).split('\n')[0]).toBe(
      '# /etc/pgbouncer/pgb_hba.conf: pgbouncer access rules of pg-test-2 [replica] at 10.10.10.12:6432',
    );
  });
});

describe('HBA values that would add a line', () => {
  const render = (rule: HbaRule) => () => renderHbaRules([rule], 'postgres', ctx);

  it('refuses a newline in the title or a raw rules line, and a space, # or newline in user or db', () => {
    expect(render({ title: 'app\nhost all all 0.0.0.0/0 trust', addr: 'intra' })).toThrow(
      'HBA rule #1 (app\\nhost all all 0.0.0.0/0 trust): title "app\\nhost all all 0.0.0.0/0 trust" must be a single line without control characters',
    );
    expect(render({ title: 'raw', rules: ['host all all 10.0.0.0/8 md5\nhost all all 0.0.0.0/0 trust'] })).toThrow(
      /rules line .* must be a single line/,
    );
    expect(render({ user: 'all all 0.0.0.0/0 trust\nhost', addr: 'intra' })).toThrow(
      /user "all all 0\.0\.0\.0\/0 trust\\nhost" must be one HBA field/,
    );
    expect(render({ db: 'all#', addr: 'intra' })).toThrow(/db "all#" must be one HBA field/);
    expect(render({ addr: '10.0.0.0/8\nhost all all 0.0.0.0/0 trust' })).toThrow(/invalid addr/);
  });

  it('still writes group, alias and list fields as one field each', () => {
    expect(
      lines(
        renderHbaRules(
          [
            { user: '+dbrole_readonly', db: 'app,meta', addr: 'admin' },
            { user: '${dbsu}', addr: 'local', auth: 'ident' },
          ],
          'postgres',
          ctx,
        ),
      ),
    ).toEqual([
      'host     app,meta           +dbrole_readonly   10.10.10.10/32     scram-sha-256',
      'local    all                postgres                              ident',
    ]);
  });
});
