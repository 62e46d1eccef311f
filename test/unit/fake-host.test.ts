import { describe, expect, it } from 'vitest';
import { FakeHost } from './fake-host.ts';

describe('the fake host', () => {
  it('answers from the first fixture that matches and has answers left, recording stdin, become and time limit', async () => {
    const host = new FakeHost({ become: { user: 'postgres' } })
      .once('id -un', { stdout: 'postgres\n' })
      .on('id -un', { stdout: 'again\n' })
      .on(/^cat /, (sent) => ({ stdout: sent.stdin ?? '' }))
      .on((sent) => sent.command.startsWith('false'), { code: 1, stderr: 'no' });
    expect(await host.ctx.run('id -un')).toEqual({ stdout: 'postgres\n', stderr: '', code: 0 });
    expect((await host.ctx.run('id -un')).stdout).toBe('again\n');
    expect((await host.ctx.run('cat -', { stdin: Buffer.from('bytes'), timeoutMs: 5 })).stdout).toBe('bytes');
    expect(await host.ctx.run('false x')).toEqual({ stdout: '', stderr: 'no', code: 1 });
    expect(host.sent[2]).toEqual({ command: 'cat -', stdin: 'bytes', become: { user: 'postgres' }, timeoutMs: 5 });
    expect(host.commands).toEqual(['id -un', 'id -un', 'cat -', 'false x']);
  });

  it('throws on a command no fixture answers, and keeps it', async () => {
    const host = new FakeHost().once('true');
    await host.ctx.run('true');
    await expect(host.ctx.run('true')).rejects.toThrow('fake host h: unexpected command:\ntrue');
    await expect(host.ctx.run('rm -rf /')).rejects.toThrow('unexpected command');
    expect(host.unexpected.map((s) => s.command)).toEqual(['true', 'rm -rf /']);
  });
});
