import { describe, expect, it } from 'vitest';
import { parseState, planChanges, readCommand } from '../../modules/package.ts';

describe('package state parsing and planning', () => {
  it('reads dpkg status and apt candidates, ignoring removed packages that left config files', () => {
    const state = parseState(
      [
        '@family deb',
        '@cache 1000 400',
        '@installed',
        'bash\tii \t5.2.15-2+b13',
        'oldpkg\trc \t1.0',
        '@policy',
        'bash:',
        '  Installed: 5.2.15-2+b13',
        '  Candidate: 5.2.15-3',
        '  Version table:',
        'oldpkg:',
        '  Installed: (none)',
        '  Candidate: 1.1',
        'virtual:',
        '  Installed: (none)',
        '  Candidate: (none)',
      ].join('\n'),
    );
    expect(state.family).toBe('deb');
    expect(state.cacheAge).toBe(600);
    expect([...state.installed]).toEqual([['bash', '5.2.15-2+b13']]);
    expect(planChanges(state, ['bash', 'oldpkg', 'virtual', 'nowhere'], 'latest')).toEqual({
      install: ['oldpkg'],
      upgrade: [{ name: 'bash', from: '5.2.15-2+b13', to: '5.2.15-3' }],
      remove: [],
      missing: ['virtual', 'nowhere'],
    });
    expect(planChanges(state, ['bash', 'oldpkg'], 'absent').remove).toEqual(['bash']);
  });

  it('reads rpm -q, dnf repoquery and dnf check-update output', () => {
    const state = parseState(
      [
        '@family rpm',
        '@cache 1000 ',
        '@installed',
        'patroni\tii \t0:3.3.2-1PGDG.rhel9',
        'etcd\tii \t0:3.5.15-1PGDG.rhel9',
        '@available',
        'pgbouncer\t0:1.23.1-1PGDG.rhel9',
        '@upgrades',
        '',
        'etcd.x86_64                 3.5.17-1PGDG.rhel9                 pgdg-rhel9-extras',
      ].join('\n'),
    );
    expect(state.cacheAge).toBeUndefined();
    expect(planChanges(state, ['patroni', 'etcd', 'pgbouncer', 'vip-manager'], 'latest')).toEqual({
      install: ['pgbouncer'],
      upgrade: [{ name: 'etcd', from: '0:3.5.15-1PGDG.rhel9', to: '3.5.17-1PGDG.rhel9' }],
      remove: [],
      missing: ['vip-manager'],
    });
    expect(planChanges(state, ['patroni', 'etcd'], 'present')).toEqual({ install: [], upgrade: [], remove: [], missing: [] });
  });

  it('fails clearly on a host with neither apt nor dnf', () => {
    expect(() => parseState('@family none\n')).toThrow('no supported package manager on the host: expected apt-get or dnf');
  });

  it('asks dnf for updates only when the latest version is wanted', () => {
    expect(readCommand({ deb: ['a'], rpm: ['a'] }, false)).not.toContain('check-update');
    expect(readCommand({ deb: ['a'], rpm: ['a'] }, true)).toContain('dnf -q check-update a');
  });
});
