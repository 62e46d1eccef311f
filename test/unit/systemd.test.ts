import { describe, expect, it } from 'vitest';
import { parseShow, planUnit } from '../../modules/systemd.ts';

const show = (extra: string) =>
  parseShow(`Id=patroni.service\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\nNeedDaemonReload=no\n${extra}`);

describe('systemd planning', () => {
  it('plans actions in a fixed order from one systemctl show', () => {
    expect(planUnit(show('NeedDaemonReload=yes'), { name: 'patroni', state: 'started', enabled: true })).toEqual([
      'daemon-reload',
      'enable',
      'start',
    ]);
    expect(planUnit(show('ActiveState=active\nUnitFileState=enabled'), { name: 'patroni', state: 'started', enabled: true })).toEqual([]);
    expect(planUnit(show('ActiveState=active'), { name: 'patroni', state: 'reloaded' })).toEqual(['reload']);
    expect(planUnit(show(''), { name: 'patroni', state: 'reloaded' })).toEqual(['start']);
    expect(planUnit(show('ActiveState=active'), { name: 'patroni', state: 'restarted', daemon_reload: true })).toEqual(['daemon-reload', 'restart']);
  });

  it('treats static units as enabled and leaves them alone when disabling', () => {
    expect(planUnit(show('UnitFileState=static'), { name: 'x', enabled: true })).toEqual([]);
    expect(planUnit(show('UnitFileState=static'), { name: 'x', enabled: false })).toEqual([]);
    expect(planUnit(show('UnitFileState=enabled-runtime'), { name: 'x', enabled: false })).toEqual(['disable']);
  });

  it('refuses contradictions and missing units before changing anything', () => {
    expect(() => planUnit(show(''), { name: 'x', masked: true, enabled: true })).toThrow('patroni.service: a masked unit cannot be enabled');
    expect(() => planUnit(show('LoadState=not-found'), { name: 'x', state: 'started' })).toThrow('unit patroni.service not found');
    expect(planUnit(show('LoadState=not-found'), { name: 'x', masked: true })).toEqual(['mask']);
  });
});
