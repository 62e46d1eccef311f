import { describe, expect, it } from 'vitest';
import { group } from '../../modules/group.ts';
import { fakeHost, runModule } from './fake-host.ts';

const READ = 'getent group -- dba';
/** getent exits 2 for a key it does not find. */
const MISSING = { code: 2 };

describe('group', () => {
  it('leaves a group with the wanted gid alone: one read, unchanged', async () => {
    const host = fakeHost().on(READ, { stdout: 'dba:x:1001:postgres\n' });
    expect((await runModule(group, { name: 'dba', gid: 1001 }, host)).result).toEqual({
      changed: false,
      failed: false,
      name: 'dba',
      state: 'present',
      gid: 1001,
    });
    expect(host.commands).toEqual([READ]);
  });

  it('creates a missing group with gid and -r, then reads the gid it got', async () => {
    const host = fakeHost().once(READ, MISSING).on('groupadd -g 1001 -r -- dba').once(READ, { stdout: 'dba:x:1001:\n' });
    const { result, plan } = await runModule(group, { name: 'dba', gid: 1001, system: true }, host);
    expect(plan?.summary).toBe('create group dba (gid 1001)');
    expect(result).toMatchObject({ changed: true, failed: false, gid: 1001 });
    expect(host.commands).toEqual([READ, 'groupadd -g 1001 -r -- dba', READ]);
  });

  it('changes the gid of an existing group with groupmod', async () => {
    const host = fakeHost().on(READ, { stdout: 'dba:x:1001:\n' }).on('groupmod -g 2001 -- dba');
    const { plan } = await runModule(group, { name: 'dba', gid: 2001 }, host);
    expect(plan?.summary).toBe('group dba: gid 1001 -> 2001');
    expect(host.commands).toEqual([READ, 'groupmod -g 2001 -- dba']);
  });

  it('removes an existing group and leaves a missing one alone', async () => {
    const host = fakeHost().once(READ, { stdout: 'dba:x:1001:\n' }).on('groupdel -- dba').once(READ, MISSING);
    expect((await runModule(group, { name: 'dba', state: 'absent' }, host)).plan?.summary).toBe('remove group dba (gid 1001)');
    expect((await runModule(group, { name: 'dba', state: 'absent' }, host)).result.changed).toBe(false);
    expect(host.commands).toEqual([READ, 'groupdel -- dba', READ]);
  });

  it('in check mode reports the creation and sends only the read', async () => {
    const host = fakeHost({ check: true }).on(READ, MISSING);
    expect((await runModule(group, { name: 'dba' }, host)).result).toEqual({ changed: true, failed: false, name: 'dba', state: 'present' });
    expect(host.commands).toEqual([READ]);
  });

  it('fails when the group database cannot be read or gives an entry it cannot parse', async () => {
    const host = fakeHost().once(READ, { code: 1, stderr: 'getent: Unknown database\n' }).once(READ, { stdout: 'garbage\n' });
    expect((await runModule(group, { name: 'dba' }, host)).result).toMatchObject({
      failed: true,
      msg: 'reading group dba failed: getent: Unknown database',
    });
    expect((await runModule(group, { name: 'dba' }, host)).result).toMatchObject({ failed: true, msg: 'cannot parse group entry for dba: garbage' });
  });
});
