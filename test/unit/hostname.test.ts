import { describe, expect, it } from 'vitest';
import { sha256 } from '../../modules/file-state.ts';
import { hostname, parseHostname } from '../../modules/hostname.ts';
import { fakeHost, fileOutput, hashOutput, readFileCommand, runModule } from './fake-host.ts';

/** The one read: uname -n, /etc/hostname's first name, and whether systemd runs (hostnamectl). */
const READ = /^printf 'kernel %s\\n' "\$\(uname -n\)"\n/;
const HASH_READ = readFileCommand('/etc/hostname', 'never', false);

describe('hostname reads', () => {
  it('parses the hostname read', () => {
    expect(parseHostname('kernel meta\nfile meta\nsystemd\n')).toEqual({ kernel: 'meta', file: 'meta', systemd: true });
    expect(parseHostname('kernel localhost\n')).toEqual({ kernel: 'localhost', file: undefined, systemd: false });
  });
});

describe('hostname', () => {
  it('leaves a host whose running name and /etc/hostname match alone, and sets node_hostname', async () => {
    const host = fakeHost().on(READ, { stdout: 'kernel pg-test-1\nfile pg-test-1\nsystemd\n' });
    const { result, plan } = await runModule(hostname, { name: 'pg-test-1' }, host);
    expect(result).toEqual({ changed: false, failed: false, hostname: 'pg-test-1' });
    expect(plan?.facts).toEqual({ node_hostname: 'pg-test-1' });
    expect(host.sent).toHaveLength(1);
  });

  it('under systemd sets the name with hostnamectl, showing /etc/hostname changing', async () => {
    const host = fakeHost().on(READ, { stdout: 'kernel localhost\nfile localhost\nsystemd\n' }).on('hostnamectl set-hostname pg-test-1');
    const { plan } = await runModule(hostname, { name: 'pg-test-1' }, host);
    expect(plan).toMatchObject({
      summary: 'hostname localhost -> pg-test-1',
      diff: [{ path: '/etc/hostname', before: 'localhost\n', after: 'pg-test-1\n' }],
    });
    expect(host.commands.slice(1)).toEqual(['hostnamectl set-hostname pg-test-1']);
  });

  it('without systemd writes /etc/hostname atomically and sets the running name with hostname', async () => {
    const host = fakeHost()
      .on(READ, { stdout: 'kernel localhost\nfile meta\n' })
      .on(HASH_READ, { stdout: hashOutput('/etc/hostname', sha256('meta\n'), { size: 5 }) })
      .on(readFileCommand('/etc/hostname', 'never', true), { stdout: fileOutput('/etc/hostname', 'meta\n') })
      .on((s) => s.command.startsWith('set -e\n') && s.command.includes('\nn=hostname\n'))
      .on('hostname pg-test-1');
    const { plan } = await runModule(hostname, { name: 'pg-test-1' }, host);
    expect(plan?.summary).toBe('hostname localhost (/etc/hostname meta) -> pg-test-1');
    expect(host.sent.slice(3)).toEqual([expect.objectContaining({ stdin: 'pg-test-1\n' }), { command: 'hostname pg-test-1' }]);
  });

  it('in check mode reports the change and sends only the read', async () => {
    const host = fakeHost({ check: true }).on(READ, { stdout: 'kernel localhost\nsystemd\n' });
    const { result, plan } = await runModule(hostname, { name: 'meta' }, host);
    expect(result.changed).toBe(true);
    expect(plan?.diff).toEqual([{ path: '/etc/hostname', before: '', after: 'meta\n' }]);
    expect(host.sent).toHaveLength(1);
  });

  it('fails with the reason hostnamectl gives', async () => {
    const host = fakeHost()
      .on(READ, { stdout: 'kernel localhost\nfile localhost\nsystemd\n' })
      .on('hostnamectl set-hostname meta', { code: 1, stderr: 'Could not set static hostname: Access denied\n' });
    expect((await runModule(hostname, { name: 'meta' }, host)).result).toMatchObject({
      failed: true,
      msg: 'setting the hostname to meta failed: Could not set static hostname: Access denied',
    });
  });
});
