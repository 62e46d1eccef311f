import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { timezone } from '../../modules/timezone.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

describe('timezone module on a sandbox node', () => {
  let conn: Connection;
  let commands = 0;
  let original = '';
  const zone = async () => sh(conn, 'readlink /etc/localtime; cat /etc/timezone; date +%Z');

  beforeAll(async () => {
    const real = await connectNode(NODES.meta);
    conn = Object.assign(Object.create(real) as Connection, {
      exec: (...args: Parameters<Connection['exec']>) => {
        commands++;
        return real.exec(...args);
      },
    });
    original = (await sh(real, 'cat /etc/timezone')).trim();
  });
  afterAll(async () => {
    await sh(conn, `ln -sfn /usr/share/zoneinfo/${original} /etc/localtime && echo ${original} > /etc/timezone`);
    await conn.close();
  });

  it('in check mode reports the change with /etc/timezone in the diff and changes nothing', async () => {
    const r = await runModule(conn, timezone, { name: 'Asia/Shanghai' }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe(`timezone ${original} -> Asia/Shanghai`);
    expect(r.plan?.diff).toEqual([{ path: '/etc/timezone', before: `${original}\n`, after: 'Asia/Shanghai\n' }]);
    expect(await sh(conn, 'cat /etc/timezone')).toBe(`${original}\n`);
  });

  it('links /etc/localtime and writes /etc/timezone, then reports unchanged with one remote command', async () => {
    expect((await runModule(conn, timezone, { name: 'Asia/Shanghai' })).result).toMatchObject({ changed: true, timezone: 'Asia/Shanghai' });
    expect(await zone()).toBe('/usr/share/zoneinfo/Asia/Shanghai\nAsia/Shanghai\nCST\n');
    commands = 0;
    expect((await runModule(conn, timezone, { name: 'Asia/Shanghai' })).result.changed).toBe(false);
    expect(commands).toBe(1);
    expect(await sh(conn, 'ls -A /etc | grep -c "^\\.localtime" || true')).toBe('0\n');
  });

  it('repairs a copied /etc/localtime and a stale /etc/timezone', async () => {
    await sh(conn, 'cp --remove-destination /usr/share/zoneinfo/Europe/Berlin /etc/localtime && echo Europe/Berlin > /etc/timezone');
    const r = await runModule(conn, timezone, { name: 'Asia/Shanghai' });
    expect(r.plan?.summary).toBe('timezone Europe/Berlin -> Asia/Shanghai');
    expect(await zone()).toBe('/usr/share/zoneinfo/Asia/Shanghai\nAsia/Shanghai\nCST\n');
  });

  it('fails for an unknown zone, and with the reason when the become user may not change it', async () => {
    const unknown = await runModule(conn, timezone, { name: 'Mars/Olympus_Mons' });
    expect(unknown.result.msg).toBe(
      'unknown time zone Mars/Olympus_Mons: /usr/share/zoneinfo/Mars/Olympus_Mons does not exist (is tzdata installed?)',
    );
    const denied = await runModule(conn, timezone, { name: 'Etc/UTC' }, { become: { user: 'nobody' } });
    expect(denied.result.failed).toBe(true);
    expect(denied.result.msg).toMatch(/^linking \/etc\/localtime to Etc\/UTC failed: .*Permission denied/s);
    expect(await zone()).toBe('/usr/share/zoneinfo/Asia/Shanghai\nAsia/Shanghai\nCST\n');
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(timezone, { name: '../../etc/passwd' })?.describe()).toContain('argument "name" must match pattern');
    expect(argumentError(timezone, { name: 'Asia/Shanghai ; reboot' })?.describe()).toContain('argument "name" must match pattern');
    expect(argumentError(timezone, { zone: 'UTC' })?.describe()).toContain('missing required argument "name"');
  });
});
