import { describe, expect, it } from 'vitest';
import {
  describeChanges,
  firewalld,
  normalizeRichRule,
  parseListAll,
  parseState,
  planZones,
  readCommand,
  wantedItems,
} from '../../modules/firewalld.ts';
import { fakeHost, planOn } from './fake-host.ts';

const LIST_ALL_ZONES = `public (default, active)
  target: default
  icmp-block-inversion: no
  interfaces: eth0
  sources: 
  services: dhcpv6-client ssh
  ports: 5432/tcp 8000-8010/udp
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 
\trule family="ipv4" source address="10.0.0.0/8" port port="5432" protocol="tcp" accept
\trule family="ipv4" source address="10.0.0.0/8" service name="ssh" log prefix="x y" level="info" accept

trusted (active)
  target: ACCEPT
  icmp-block-inversion: no
  interfaces: 
  sources: 10.10.10.0/24
  services: 
  ports: 
  rich rules: 
`;

describe('firewalld parsing and planning', () => {
  it('parses --list-all-zones output, rich rules included', () => {
    const zones = parseListAll(LIST_ALL_ZONES);
    expect([...zones.keys()]).toEqual(['public', 'trusted']);
    expect(zones.get('public')).toEqual({
      services: ['dhcpv6-client', 'ssh'],
      ports: ['5432/tcp', '8000-8010/udp'],
      sources: [],
      richRules: [
        'rule family="ipv4" source address="10.0.0.0/8" port port="5432" protocol="tcp" accept',
        'rule family="ipv4" source address="10.0.0.0/8" service name="ssh" log prefix="x y" level="info" accept',
      ],
    });
    expect(zones.get('trusted')?.sources).toEqual(['10.10.10.0/24']);
  });

  it('writes rich rules the way firewalld prints them', () => {
    expect(normalizeRichRule('  rule   family=ipv4 source address="10.0.0.0/8"  log prefix="a  b" accept ')).toBe(
      'rule family="ipv4" source address="10.0.0.0/8" log prefix="a  b" accept',
    );
  });

  it("expands Pigsty's zone mode: intranet trusted, public ports opened as tcp", () => {
    expect(wantedItems({ mode: 'zone', intranet: ['10.10.10.0/24'], public_ports: [5432, '8000-8010', '53/udp'] })).toEqual([
      { zone: 'trusted', kind: 'source', value: '10.10.10.0/24', present: true },
      { zone: 'public', kind: 'port', value: '5432/tcp', present: true },
      { zone: 'public', kind: 'port', value: '8000-8010/tcp', present: true },
      { zone: 'public', kind: 'port', value: '53/udp', present: true },
    ]);
  });

  it('plans runtime and permanent separately, batching one option per zone', () => {
    const runtime = parseListAll(LIST_ALL_ZONES);
    const permanent = parseListAll(LIST_ALL_ZONES.replace('5432/tcp ', ''));
    const items = wantedItems({
      services: ['http', 'https', 'ssh'],
      ports: ['5432/tcp'],
      rich_rules: ['rule family=ipv4 source address=10.0.0.0/8 port port=5432 protocol=tcp accept'],
    });
    const changes = planZones(items, { runtime, permanent });
    expect(changes).toEqual([
      { scope: 'runtime', zone: 'public', action: 'add', kind: 'service', values: ['http', 'https'] },
      { scope: 'permanent', zone: 'public', action: 'add', kind: 'service', values: ['http', 'https'] },
      { scope: 'permanent', zone: 'public', action: 'add', kind: 'port', values: ['5432/tcp'] },
    ]);
    expect(describeChanges(changes, true)).toEqual([
      'public: add service http',
      'public: add service https',
      'public: add port 5432/tcp (permanent only)',
    ]);
    expect(planZones(wantedItems({ zone: 'trusted', sources: ['10.10.10.0/24'], state: 'absent' }), { permanent })).toEqual([
      { scope: 'permanent', zone: 'trusted', action: 'remove', kind: 'source', values: ['10.10.10.0/24'] },
    ]);
    expect(() => planZones(wantedItems({ zone: 'nosuch', ports: ['1/tcp'] }), { permanent })).toThrow('firewalld has no zone named nosuch');
  });

  it('reads the unit and both configurations from one command', () => {
    const out = `@unit LoadState=loaded ActiveState=active UnitFileState=enabled \n@running\n@runtime\n${LIST_ALL_ZONES}@permanent\n${LIST_ALL_ZONES}`;
    const state = parseState(out);
    expect(state).toMatchObject({ installed: true, active: true, enabled: true, running: true });
    expect(state.runtime?.get('trusted')?.sources).toEqual(['10.10.10.0/24']);
    expect(state.permanent?.get('public')?.richRules).toHaveLength(2);
  });

  it('on a running firewalld changes runtime and permanent with one firewall-cmd per option, after one read', async () => {
    const host = fakeHost()
      .once(readCommand(true), {
        stdout: `@unit LoadState=loaded ActiveState=active UnitFileState=enabled\n@running\n@runtime\n${LIST_ALL_ZONES}@permanent\n${LIST_ALL_ZONES}`,
      })
      .on(/^set -e\nfirewall-cmd /);
    const plan = await planOn(firewalld, { mode: 'zone', intranet: ['10.10.10.0/24', '10.20.0.0/16'], public_ports: [5432, 9100] }, host);
    expect(plan.summary).toBe('trusted: add source 10.20.0.0/16; public: add port 9100/tcp');
    expect(host.sent).toHaveLength(1);
    await plan.apply?.();
    expect(host.commands[1]?.split('\n')).toEqual([
      'set -e',
      'firewall-cmd --zone=trusted --add-source=10.20.0.0/16',
      'firewall-cmd --zone=public --add-port=9100/tcp',
      'firewall-cmd --permanent --zone=trusted --add-source=10.20.0.0/16',
      'firewall-cmd --permanent --zone=public --add-port=9100/tcp',
    ]);
  });

  it('without firewalld: mode zone is ok with a warning, mode off is already done, items fail', async () => {
    const host = fakeHost().on((s) => s.command === readCommand(true) || s.command === readCommand(false), {
      stdout: '@unit LoadState=not-found ActiveState=inactive UnitFileState= \n',
    });
    const ctx = host.ctx;
    expect(await firewalld.plan(ctx, { mode: 'zone', public_ports: [5432] })).toMatchObject({
      changed: false,
      warnings: ['firewalld is not installed: node_firewall_mode zone has nothing to configure'],
    });
    expect(await firewalld.plan(ctx, { mode: 'off' })).toMatchObject({ changed: false });
    await expect(firewalld.plan(ctx, { ports: ['5432/tcp'] })).rejects.toThrow('firewalld is not installed');
  });
});
