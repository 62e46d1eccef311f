import { describe, expect, it } from 'vitest';
import { ping } from '../../modules/ping.ts';
import { fakeHost, runModule } from './fake-host.ts';

describe('ping', () => {
  it('sends one echo through become and reports pong, unchanged', async () => {
    const host = fakeHost({ become: { user: 'postgres' } }).on('echo pong', { stdout: 'pong\n' });
    expect((await runModule(ping, {}, host)).result).toEqual({ changed: false, failed: false, ping: 'pong' });
    expect(host.sent).toEqual([{ command: 'echo pong', become: { user: 'postgres' } }]);
  });

  it('does the same in check mode: it only reads', async () => {
    const host = fakeHost({ check: true }).on('echo pong', { stdout: 'pong\n' });
    expect((await runModule(ping, {}, host)).result.ping).toBe('pong');
    expect(host.commands).toEqual(['echo pong']);
  });

  it("fails with sudo's reason when become is refused", async () => {
    const host = fakeHost({ become: { user: 'postgres' } }).on('echo pong', { code: 1, stderr: 'sudo: a password is required\n' });
    expect((await runModule(ping, {}, host)).result).toMatchObject({ failed: true, msg: 'ping failed: sudo: a password is required', rc: 1 });
  });
});
