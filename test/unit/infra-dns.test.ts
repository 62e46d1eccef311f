import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../engine/inventory.ts';
import { validateInventory } from '../../engine/validate.ts';
import { defaultRecords, dnsmasqConf, hostsFile, hostsLine } from '../../roles/infra/dnsmasq-files.ts';
import { checks } from '../../roles/checks.ts';
import { PARAM_DEFAULTS, PigstyParams } from '../../roles/params.ts';
import { clusterDnsTarget, clusterDnsWanted } from '../../roles/pgsql/dns-records.ts';
import { pgHost } from './role-host.ts';

describe('dnsmasq on the infra host', () => {
  it('answers from /infra/hosts only, on the loopback and the host address, at dns_port', () => {
    expect(dnsmasqConf({ inventory_hostname: '10.10.10.10', dns_port: 5353 }).split('\n').slice(1)).toEqual([
      'hostsdir=/infra/hosts',
      'no-hosts',
      'listen-address=127.0.0.1,10.10.10.10',
      'bind-interfaces',
      'port=5353',
      '',
    ]);
  });

  it("writes Pigsty's default records with the admin node's address", () => {
    expect(defaultRecords({ dns_records: PARAM_DEFAULTS.dns_records, admin_ip: '10.10.10.10' }).split('\n').slice(1)).toEqual([
      '10.10.10.10 i.pigsty',
      '10.10.10.10 m.pigsty supa.pigsty api.pigsty adm.pigsty cli.pigsty ddl.pigsty',
      '',
    ]);
  });

  it('refuses a record or file name that would add a line, a path or an option', () => {
    expect(() => hostsLine('10.10.10.11', ['pg-test-1\n10.0.0.1 evil'])).toThrow(/not a host name/);
    expect(() => hostsLine('10.10.10.11 x', ['a'])).toThrow(/not an IPv4 address/);
    expect(() => hostsFile('../etc/passwd')).toThrow(/not a plain name/);
    expect(hostsFile('pg-test-1')).toBe('/infra/hosts/pg-test-1');
  });

  it('validates dns_records and pg_dns_suffix before any host is touched', () => {
    const errors = (vars: string) =>
      validateInventory(parseInventory(`all:\n  hosts: { a.invalid: {} }\n  vars: { admin_ip: 10.10.10.10, ${vars} }\n`, 'inv.yml'), {
        schema: PigstyParams,
        checks,
      }).errors.map((e) => e.describe());
    expect(errors("dns_records: ['${admin_ip} i.pigsty', '10.10.10.11 a.b c']")).toEqual([]);
    expect(errors("dns_records: ['10.10.10.300 x']")[0]).toMatch(/dns_records\[0\].*expected an IPv4 address or \$\{admin_ip\}, then host names/);
    expect(errors("dns_records: ['10.10.10.1 a;b']")).toHaveLength(1);
    expect(errors("pg_dns_suffix: '.pigsty'")).toEqual([]);
    expect(errors("pg_dns_suffix: ' x'")).toHaveLength(1);
  });

  it('refuses a cluster named default (the dns_records file) and a dnsmasq host named by a host name', () => {
    const errors = (yaml: string) =>
      validateInventory(parseInventory(yaml, 'inv.yml'), { schema: PigstyParams, checks }).errors.map((e) => e.describe());
    expect(
      errors('all:\n  hosts:\n    10.10.10.11: { pg_cluster: default, pg_seq: 1, pg_role: primary }\n  vars: { admin_ip: 10.10.10.10 }\n')[0],
    ).toMatch(/invalid cluster name "default"/);
    const infra = (vars: string) =>
      errors(`all:\n  children:\n    infra:\n      hosts:\n        infra1.invalid: { infra_seq: 1 ${vars} }\n  vars: { admin_ip: 10.10.10.10 }\n`);
    expect(infra('')[0]).toMatch(/runs dnsmasq, which listens on the host's address, but is named by a host name/);
    expect(infra(', dns_enabled: false')).toEqual([]);
  });
});

describe('the cluster DNS record', () => {
  const host = {
    ...pgHost({ inventory_hostname: '10.10.10.12', pg_cluster: 'pg-test', pg_seq: 2, pg_role: 'replica' }),
    pg_primary_ip: '10.10.10.11',
  };

  it('points at the primary, or the VIP when the cluster has one (auto), or where pg_dns_target says', () => {
    expect(clusterDnsTarget(host)).toBe('10.10.10.11');
    expect(clusterDnsTarget({ ...host, pg_vip_enabled: true, pg_vip_address: '10.10.10.3/24' })).toBe('10.10.10.3');
    expect(clusterDnsTarget({ ...host, pg_dns_target: 'vip', pg_vip_address: '10.10.10.3/24' })).toBe('10.10.10.3');
    expect(clusterDnsTarget({ ...host, pg_dns_target: '10.10.10.99' })).toBe('10.10.10.99');
    expect(clusterDnsTarget({ ...host, pg_dns_target: 'none' })).toBeUndefined();
  });

  it('is not written while the cluster has no single primary', () => {
    expect(clusterDnsWanted({ ...host, pg_primary_ip: 'unknown' })).toBe(false);
    expect(clusterDnsWanted(host)).toBe(true);
  });
});
