import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModuleFailure } from '../../engine/module.ts';
import { renderString, renderTemplate, templatePath } from '../../modules/template.ts';
import { ROOT } from '../e2e/harness.ts';

const FIXTURES = join(ROOT, 'test/fixtures/templates');
const r = (source: string, vars: Record<string, unknown> = {}) => renderString(source, vars, 'test.hbs');
const fails = (source: string, vars: Record<string, unknown> = {}): string => {
  try {
    r(source, vars);
  } catch (error) {
    expect(error).toBeInstanceOf(ModuleFailure);
    return (error as Error).message;
  }
  throw new Error('expected rendering to fail');
};

describe('template rendering', () => {
  it('does not HTML-escape and keeps standalone block lines out of the output', () => {
    expect(r('a = "{{v}}" <{{w}}>\n{{#if on}}\nx & y\n{{/if}}\n', { v: "it's", w: '&', on: true })).toBe('a = "it\'s" <&>\nx & y\n');
  });

  it('names the file and line of an undefined variable', () => {
    expect(fails('a\nb: {{pg_cluster}}\nc: {{pg_port}}\n', { pg_cluster: 'x' })).toBe('test.hbs:3: "pg_port" is not defined');
    expect(fails('{{#each xs}}\n{{this.name}}\n{{/each}}', { xs: [{}] })).toBe('test.hbs:2: "name" is not defined');
  });

  it('names the line of a dotted path through an undefined value', () => {
    expect(fails('x\ny\n{{default a.b.c 1}}\n')).toBe('test.hbs:3: cannot read "b" of an undefined value');
  });

  it('is strict about variables passed to helpers too, not only printed ones', () => {
    expect(fails('{{join (list "a" b) ","}}')).toBe('test.hbs:1: "b" is not defined');
    expect(fails('x\n{{#each xs}}{{this}}{{/each}}')).toBe('test.hbs:2: "xs" is not defined');
    expect(fails('{{sorted xs attribute=key}}', { xs: [] })).toBe('test.hbs:1: "key" is not defined');
    expect(fails('{{default x y}}')).toBe('test.hbs:1: "y" is not defined');
    expect(fails('\n{{get m a.b}}', { m: {} })).toBe('test.hbs:2: cannot read "b" of an undefined value');
  });

  it('lets helpers and conditions test for variables that are not defined', () => {
    expect(r('{{default x "d"}} {{#if y}}y{{else}}no y{{/if}} {{defined z}}')).toBe('d no y false');
  });

  it('names the line and helper that failed, and syntax errors with an excerpt', () => {
    expect(fails('ok\n{{cidr_ip "nope"}}')).toBe('test.hbs:2: helper "cidr_ip": invalid IP address or CIDR "nope"');
    expect(fails('a\n{{#if x}}\n')).toMatch(/^test\.hbs:3: template syntax error: unexpected end of template\n/);
    expect(fails('{{#if x}}{{/each}}')).toContain('test.hbs:1: template syntax error: if doesn');
    expect(fails('{{no_such_helper 1}}')).toBe('test.hbs:1: "no_such_helper" is not defined');
  });

  it('renders a file and caches it per path, mapping errors to the file', () => {
    const vars = { pg_cluster: 'pg-test', pg_port: 5432 };
    const path = join(FIXTURES, 'broken.hbs');
    expect(() => renderTemplate(path, vars)).toThrow(`${path}:4: "pg_listen_address" is not defined`);
    expect(renderTemplate(path, { ...vars, pg_listen_address: '0.0.0.0' })).toBe('name: pg-test\n\nport: 5432\nlisten: 0.0.0.0\n');
    expect(() => renderTemplate(join(FIXTURES, 'missing.hbs'), {})).toThrow(/^reading template .*missing\.hbs failed: ENOENT/);
  });

  it('renders a pg_hba-style template with sorting, conditions and padding', () => {
    const out = renderTemplate(join(FIXTURES, 'pg_hba.conf.hbs'), {
      pg_cluster: 'pg-test',
      pg_seq: 1,
      pg_role: 'replica',
      pg_port: 5432,
      pg_vip_address: '10.10.10.3/24',
      pg_hba_rules: [
        { title: 'allow replicas', role: 'common', addr: '10.10.10.0/24', db: 'replication', user: 'replicator', auth: 'scram-sha-256', order: 200 },
        { title: 'dbsu local', role: 'common', addr: 'local', db: 'all', user: 'postgres', auth: 'ident', order: 100 },
        { title: 'primary only', role: 'primary', addr: '0.0.0.0/0', db: 'all', user: 'all', auth: 'reject', order: 300 },
      ],
    });
    expect(out).toBe(
      [
        '# pg-test-1 [replica] listening on 10.10.10.3:5432',
        '# dbsu local',
        'local    all          postgres                        ident',
        '# allow replicas',
        'host     replication  replicator   10.10.10.0/24      scram-sha-256',
        '# primary only [DISABLED]',
        '#host     all          all          0.0.0.0/0          reject',
        '# intranet: 10.0.0.0/8',
        '',
      ].join('\n'),
    );
  });

  it('renders a patroni-style template with arithmetic, lists and nested YAML', () => {
    const out = renderTemplate(join(FIXTURES, 'patroni.yml.hbs'), {
      pg_cluster: 'pg-test',
      pg_seq: 2,
      inventory_hostname: '10.10.10.12',
      admin_ip: '10.10.10.10',
      pg_cluster_members: ['10.10.10.12', '10.10.10.11', '10.10.10.10'],
      etcd_hosts: ['10.10.10.10'],
      etcd_port: 2379,
      pg_max_conn: '500',
      node_mem_mb: 1999,
      pg_shared_buffer_ratio: 0.25,
      pg_checksum: 'yes',
      hba_lines: ['host all all 0.0.0.0/0 scram-sha-256'],
    });
    expect(out).toBe(
      [
        'scope: pg-test',
        'name: pg-test-2',
        'restapi:',
        '  listen: 10.10.10.12:8008',
        '  allowlist: [ 10.10.10.10, 10.10.10.11, 10.10.10.12 ]',
        'etcd3:',
        "  hosts: '10.10.10.10:2379'",
        'postgresql:',
        '  parameters:',
        '    max_connections: 500',
        '    shared_buffers: 500MB',
        '  initdb: [ data-checksums ]',
        '  pg_hba:',
        '    - host all all 0.0.0.0/0 scram-sha-256',
        '',
        '',
      ].join('\n'),
    );
  });

  it('points templatePath at the role that calls it', () => {
    expect(templatePath('file:///repo/roles/pgsql/role.ts', 'patroni.yml.hbs')).toBe('/repo/roles/pgsql/templates/patroni.yml.hbs');
    expect(templatePath('file:///repo/roles/pgsql/tasks/config.ts', 'a.hbs')).toBe('/repo/roles/pgsql/templates/a.hbs');
    expect(templatePath('file:///elsewhere/x.ts', 'a.hbs')).toBe('/elsewhere/templates/a.hbs');
  });
});
