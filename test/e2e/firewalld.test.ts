import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { firewalld } from '../../modules/firewalld.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

// The sandbox nodes have CAP_NET_ADMIN in their own network namespace, so firewalld really runs there: these tests
// cover mode off/none, the permanent configuration edited offline (as on a host whose firewalld is stopped), and the
// running path (runtime and permanent) with mode zone.
const ZONE_FILES = '/etc/firewalld/zones/public.xml* /etc/firewalld/zones/trusted.xml*';
const RULE = 'rule family="ipv4" source address="10.99.0.0/16" port port="5432" protocol="tcp" accept';

describe('firewalld module on a sandbox node', () => {
  let conn: Connection;
  const offline = async (zone: string, what: string) => (await sh(conn, `firewall-offline-cmd --zone=${zone} --list-${what}`)).trim();
  const unit = async () => (await sh(conn, 'echo $(systemctl is-active firewalld) $(systemctl is-enabled firewalld)')).trim();

  beforeAll(async () => {
    conn = await connectNode(NODES['node-1']);
    await sh(
      conn,
      'command -v firewall-offline-cmd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q firewalld >/dev/null 2>&1; true',
    );
    await sh(conn, `systemctl stop firewalld; systemctl enable firewalld 2>/dev/null; systemctl reset-failed firewalld; rm -f ${ZONE_FILES}`);
  });
  afterAll(async () => {
    await sh(conn, `systemctl disable --now firewalld 2>/dev/null; systemctl reset-failed firewalld 2>/dev/null; rm -f ${ZONE_FILES}; true`);
    await conn.close();
  });

  it('mode none leaves firewalld alone without reading anything', async () => {
    const r = await runModule(conn, firewalld, { mode: 'none' });
    expect(r.result).toMatchObject({ changed: false, failed: false });
    expect(r.plan?.summary).toBe('firewalld left alone (mode none)');
    expect(await unit()).toBe('inactive enabled');
  });

  it('mode off disables firewalld, checking first, then reports unchanged', async () => {
    const check = await runModule(conn, firewalld, { mode: 'off' }, { check: true });
    expect(check.plan?.summary).toBe('firewalld: disable');
    expect(await unit()).toBe('inactive enabled');
    expect((await runModule(conn, firewalld, { mode: 'off' })).result).toMatchObject({ changed: true, installed: true, running: false });
    expect(await unit()).toBe('inactive disabled');
    expect((await runModule(conn, firewalld, { mode: 'off' })).result.changed).toBe(false);
  });

  it('edits the permanent configuration of a stopped firewalld, with a warning, after a check', async () => {
    const args = { zone: 'public', ports: ['5432/tcp', '6432/tcp'], services: ['postgresql'], rich_rules: [RULE] };
    const check = await runModule(conn, firewalld, args, { check: true });
    expect(check.plan?.summary).toBe(
      `public: add service postgresql; public: add port 5432/tcp; public: add port 6432/tcp; public: add rich-rule ${RULE}`,
    );
    expect(check.plan?.warnings).toEqual(['firewalld is not running: only its permanent configuration is changed']);
    expect(await offline('public', 'ports')).toBe('');

    expect((await runModule(conn, firewalld, args)).result.changed).toBe(true);
    expect(await offline('public', 'ports')).toBe('5432/tcp 6432/tcp');
    expect(await offline('public', 'services')).toBe('dhcpv6-client postgresql ssh');
    expect(await offline('public', 'rich-rules')).toBe(RULE);
    expect((await runModule(conn, firewalld, args)).result.changed).toBe(false);
  });

  it('removes items with state absent', async () => {
    const args = { zone: 'public', ports: ['6432/tcp'], rich_rules: [RULE], state: 'absent' as const };
    expect((await runModule(conn, firewalld, args)).plan?.summary).toBe(`public: remove port 6432/tcp; public: remove rich-rule ${RULE}`);
    expect(await offline('public', 'ports')).toBe('5432/tcp');
    expect(await offline('public', 'rich-rules')).toBe('');
    expect((await runModule(conn, firewalld, args)).result.changed).toBe(false);
  });

  it('mode zone starts firewalld with the Pigsty zones, runtime and permanent, then reports unchanged', async () => {
    const args = { mode: 'zone' as const, intranet: ['10.10.10.0/24'], public_ports: [5432, 8008] };
    const check = await runModule(conn, firewalld, args, { check: true });
    expect(check.plan?.summary).toBe('start firewalld; enable firewalld; trusted: add source 10.10.10.0/24; public: add port 8008/tcp');
    expect(await offline('trusted', 'sources')).toBe('');

    const r = await runModule(conn, firewalld, args);
    expect(r.result).toMatchObject({ changed: true, failed: false });
    expect(await unit()).toBe('active enabled');
    expect((await sh(conn, 'firewall-cmd --zone=trusted --list-sources')).trim()).toBe('10.10.10.0/24');
    expect((await sh(conn, 'firewall-cmd --permanent --zone=public --list-ports')).trim()).toBe('5432/tcp 8008/tcp');
    expect((await sh(conn, 'firewall-cmd --zone=public --list-ports')).trim()).toBe('5432/tcp 8008/tcp');
    expect((await runModule(conn, firewalld, args)).result.changed).toBe(false);
  });

  it('changes a running firewalld at runtime and permanently, and mode off stops it', async () => {
    const args = { zone: 'public', ports: ['6432/tcp'] };
    expect((await runModule(conn, firewalld, args)).plan?.summary).toBe('public: add port 6432/tcp');
    expect((await sh(conn, 'firewall-cmd --zone=public --list-ports')).trim()).toBe('5432/tcp 6432/tcp 8008/tcp');
    expect((await sh(conn, 'firewall-cmd --permanent --zone=public --list-ports')).trim()).toBe('5432/tcp 6432/tcp 8008/tcp');
    expect((await runModule(conn, firewalld, { mode: 'off' })).result.changed).toBe(true);
    expect(await unit()).toBe('inactive disabled');
  });

  it('fails naming a zone that does not exist', async () => {
    const r = await runModule(conn, firewalld, { zone: 'pgsty-nozone', ports: ['1/tcp'] });
    expect(r.result).toMatchObject({ failed: true, msg: 'firewalld has no zone named pgsty-nozone' });
  });

  it('rejects bad arguments before touching the host', async () => {
    expect(argumentError(firewalld, { mode: 'on' })?.describe()).toContain(
      'argument "mode" must be equal to one of the allowed values: one of off, none, zone',
    );
    expect(argumentError(firewalld, { ports: ['5432'] })?.describe()).toContain('argument "ports.0" must match pattern');
    expect(argumentError(firewalld, { sources: ['10.0.0.0/8; reboot'] })?.describe()).toContain('"sources.0"');
    expect(argumentError(firewalld, { rich_rules: ['accept'] })?.describe()).toContain('"rich_rules.0"');
    expect((await runModule(conn, firewalld, { mode: 'none', ports: ['1/tcp'] })).result.msg).toBe('mode none takes no zone settings (got ports)');
    expect((await runModule(conn, firewalld, { intranet: ['10.0.0.0/8'] })).result.msg).toBe('intranet and public_ports go with mode: zone');
    expect((await runModule(conn, firewalld, {})).result.msg).toBe('nothing to do: give mode, or services, ports, sources or rich_rules');
  });
});
