import { describe, expect, it } from 'vitest';
import { debug } from '../../modules/debug.ts';
import { checkedArgs, fakeHost, runModule } from './fake-host.ts';

describe('debug', () => {
  it('reports its message as unchanged, on the controller, without sending a command', async () => {
    const host = fakeHost();
    const { result, plan } = await runModule(debug, { msg: 'pg-test-1 is the primary' }, host);
    expect(debug.local).toBe(true);
    expect(result).toEqual({ changed: false, failed: false, msg: 'pg-test-1 is the primary' });
    expect(plan?.summary).toBe('pg-test-1 is the primary');
    expect(host.sent).toEqual([]);
  });

  it('is the same in check mode', async () => {
    const host = fakeHost({ check: true });
    expect((await runModule(debug, { msg: 'x' }, host)).result).toEqual({ changed: false, failed: false, msg: 'x' });
    expect(host.sent).toEqual([]);
  });

  it('refuses arguments other than msg', () => {
    expect(() => checkedArgs(debug, { msg: 'x', var: 'y' } as never)).toThrow('invalid arguments: unknown argument "var"');
    expect(() => checkedArgs(debug, {} as never)).toThrow('missing required argument "msg"');
  });
});
