import { describe, expect, it } from 'vitest';
import { shell } from '../../modules/shell.ts';
import { fakeHost, runModule } from './fake-host.ts';

describe('shell', () => {
  it('runs the line with /bin/sh -c as one quoted word, the summary showing the line as written', async () => {
    const line = `exec /bin/sh -c 'pg_isready -q && echo "ok $(hostname)"'`;
    const host = fakeHost().on(line, { stdout: 'ok meta\n' });
    const { result, plan } = await runModule(shell, { cmd: 'pg_isready -q && echo "ok $(hostname)"' }, host);
    expect(plan?.summary).toBe('ran: pg_isready -q && echo "ok $(hostname)"');
    expect(result).toMatchObject({ changed: true, rc: 0, stdout: 'ok meta', cmd: 'pg_isready -q && echo "ok $(hostname)"' });
    expect(host.commands).toEqual([line]);
  });

  it('uses the executable given, and skips when removes is missing', async () => {
    const guard = 'if [ ! -e /tmp/pgsty.lock ]; then echo removes; fi';
    const host = fakeHost().once(guard, { stdout: '' }).once(guard, { stdout: 'removes\n' }).on(`exec /bin/bash -c 'set -o pipefail; true'`);
    expect((await runModule(shell, { cmd: 'set -o pipefail; true', executable: '/bin/bash', removes: '/tmp/pgsty.lock' }, host)).result.changed).toBe(
      true,
    );
    const again = await runModule(shell, { cmd: 'set -o pipefail; true', executable: '/bin/bash', removes: '/tmp/pgsty.lock' }, host);
    expect(again.result).toMatchObject({ changed: false, msg: 'skipped, since /tmp/pgsty.lock does not exist' });
    expect(host.commands).toEqual([guard, `exec /bin/bash -c 'set -o pipefail; true'`, guard]);
  });

  it('in check mode sends only the guard', async () => {
    const guard = 'if [ -e /etc/pgsty.done ]; then echo creates; fi';
    const host = fakeHost({ check: true }).on(guard, { stdout: '' });
    const { plan } = await runModule(shell, { cmd: 'touch /etc/pgsty.done', creates: '/etc/pgsty.done' }, host);
    expect(plan).toMatchObject({ changed: true, summary: 'would run: touch /etc/pgsty.done' });
    expect(host.commands).toEqual([guard]);
  });

  it('fails with stdout when stderr is empty, and when the guard itself cannot run', async () => {
    const host = fakeHost()
      .on(`exec /bin/sh -c 'exit 3'`, { code: 3, stdout: 'partial\n' })
      .on('if [ -e /x ]; then echo creates; fi', { code: 1, stderr: 'sudo: unknown user postgresx\n' });
    expect((await runModule(shell, { cmd: 'exit 3' }, host)).result).toMatchObject({
      failed: true,
      rc: 3,
      msg: '"exit 3" exited with code 3: partial',
    });
    expect((await runModule(shell, { cmd: 'x', creates: '/x' }, host)).result.msg).toBe(
      'checking creates/removes failed: sudo: unknown user postgresx',
    );
  });
});
