import { describe, expect, it } from 'vitest';
import { renderTemplate, templatePath } from '../../modules/template.ts';
import { cfgQuote, DEFAULT_SERVER, HAPROXY_MAXCONN, haproxyMaxconn, haproxyServicePath, renderHaproxyService } from '../../roles/haproxy/render.ts';

describe('haproxy service rendering', () => {
  it('fills Pigsty defaults for a minimal service', () => {
    const text = renderHaproxyService({ name: 'minio', port: 9002, servers: [{ name: 'minio-1', ip: '10.10.10.10', port: 9000 }] }, 'pg-meta-1');
    expect(text).toBe(
      [
        '# service minio on pg-meta-1, port 9002: rendered by Pigsty, edit the inventory instead',
        'listen minio',
        '    bind *:9002',
        '    mode tcp',
        '    maxconn 10000',
        '    balance roundrobin',
        `    default-server ${DEFAULT_SERVER}`,
        '    server minio-1 10.10.10.10:9000',
        '',
      ].join('\n'),
    );
  });

  it('renders every field: ip, protocol, maxconn, balance, options, default and server flags', () => {
    const text = renderHaproxyService({
      name: 'pg-test-primary',
      port: 5433,
      ip: '10.10.10.3',
      protocol: 'http',
      maxconn: 5000,
      balance: 'leastconn',
      options: ['option httpchk', 'http-check send meth OPTIONS uri /primary', 'http-check expect status 200'],
      default: 'inter 2s fastinter 1s downinter 2s rise 3 fall 3',
      servers: [
        { name: 'pg-test-1', ip: '10.10.10.11', port: 6432, weight: 100, options: 'check port 8008' },
        { name: 'pg-test-2', ip: '10.10.10.12', port: 6432, backup: true, options: 'check port 8008' },
        { name: 'pg-test-3', ip: '10.10.10.13', port: 6432, weight: 0 },
      ],
    });
    const lines = text.split('\n');
    expect(lines.slice(1, 10)).toEqual([
      'listen pg-test-primary',
      '    bind 10.10.10.3:5433',
      '    mode http',
      '    maxconn 5000',
      '    balance leastconn',
      '    option httpchk',
      '    http-check send meth OPTIONS uri /primary',
      '    http-check expect status 200',
      '    default-server inter 2s fastinter 1s downinter 2s rise 3 fall 3',
    ]);
    expect(lines.slice(10, 13)).toEqual([
      '    server pg-test-1 10.10.10.11:6432 weight 100 check port 8008',
      '    server pg-test-2 10.10.10.12:6432 backup check port 8008',
      '    server pg-test-3 10.10.10.13:6432 weight 0',
    ]);
  });

  it('puts each service in its own conf.d file and refuses names that are not plain', () => {
    expect(haproxyServicePath('pg-test-primary')).toBe('/etc/haproxy/conf.d/pg-test-primary.cfg');
    expect(() => haproxyServicePath('../etc/passwd')).toThrow(/must be letters/);
    expect(() => renderHaproxyService({ name: 'ok', port: 1, servers: [{ name: 'bad name', ip: '1.1.1.1', port: 1 }] })).toThrow(/server name/);
    const line = '10.0.0.9\n    server pwn 6.6.6.6';
    expect(() => renderHaproxyService({ name: 'ok', port: 1, servers: [{ name: 'a', ip: line, port: 1 }] })).toThrow(
      /haproxy server a: address "10.0.0.9\\n {4}server pwn 6.6.6.6" must be/,
    );
    expect(() =>
      renderHaproxyService({ name: 'ok', port: 1, servers: [{ name: 'a', ip: '1.1.1.1', port: 1, options: 'check\nserver x 6.6.6.6:1' }] }),
    ).toThrow('haproxy server a: options must be one line');
  });
});

describe('haproxy.cfg', () => {
  const render = (extra: Record<string, unknown> = {}) =>
    renderTemplate(templatePath(new URL('../../roles/haproxy/role.ts', import.meta.url).href, 'haproxy.cfg.hbs'), {
      nodename: 'pg-test-1',
      inventory_hostname: '10.10.10.11',
      haproxy_maxconn: 65535,
      haproxy_client_timeout: '24h',
      haproxy_server_timeout: '2h',
      haproxy_admin_user: cfgQuote('admin'),
      haproxy_admin_secret: cfgQuote('p@ss "word" $HOME'),
      haproxy_exporter_port: 9101,
      exporter_metrics_path: '/metrics',
      ...extra,
    });

  it('has the timeouts, the authenticated stats page on the exporter port and the metrics path', () => {
    const text = render();
    expect(text).toContain('    timeout client  24h\n');
    expect(text).toContain('    timeout server  2h\n');
    expect(text).toContain('    maxconn         65535\n');
    expect(text).toContain('    bind *:9101\n');
    expect(text).toContain('    stats uri /haproxy/pg-test-1/\n');
    expect(text).toContain('    stats http-request auth unless AUTH\n');
    expect(text).toContain('http-request use-service prometheus-exporter if { path /metrics }');
  });

  it('quotes the admin password so spaces, quotes and $ stay literal', () => {
    expect(render()).toContain('user "admin" insecure-password "p@ss \\"word\\" \\$HOME"');
  });

  it('lowers the global maxconn to what the open-file limit allows', () => {
    expect(haproxyMaxconn(undefined)).toBe(HAPROXY_MAXCONN);
    expect(haproxyMaxconn('unlimited')).toBe(HAPROXY_MAXCONN);
    expect(haproxyMaxconn('1048576')).toBe(HAPROXY_MAXCONN);
    expect(haproxyMaxconn('20000')).toBe(9900);
    expect(haproxyMaxconn('1024')).toBe(412);
  });
});
