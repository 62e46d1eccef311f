import { describe, expect, it } from 'vitest';
import { editContent, parseState, procPath, renderSettings, sysctl } from '../../modules/sysctl.ts';
import { b64, checkedArgs, fakeHost, planOn } from './fake-host.ts';

describe('sysctl file editing', () => {
  const file = '# tuned by hand\nvm.swappiness=10\nnet/core/somaxconn = 128\n; old\nvm.swappiness = 20\n';

  it('replaces the first line of a key in either spelling, drops its duplicates and keeps everything else', () => {
    expect(editContent(file, 'vm.swappiness', 1)).toBe('# tuned by hand\nvm.swappiness = 1\nnet/core/somaxconn = 128\n; old\n');
    expect(editContent(file, 'net.core.somaxconn', '1024')).toBe(
      '# tuned by hand\nvm.swappiness=10\nnet.core.somaxconn = 1024\n; old\nvm.swappiness = 20\n',
    );
    expect(editContent(file, 'kernel.pid_max', ' 4194304 ')).toBe(`${file}kernel.pid_max = 4194304\n`);
    expect(editContent(file, 'vm.swappiness', undefined)).toBe('# tuned by hand\nnet/core/somaxconn = 128\n; old\n');
    expect(editContent('', 'a.b', 1)).toBe('a.b = 1\n');
    expect(editContent('a.b = 1\n', 'a.b', undefined)).toBe('');
  });

  it('renders a whole settings file in order and maps keys to /proc/sys paths', () => {
    expect(renderSettings({ 'vm.swappiness': 0, 'net.ipv4.tcp_rmem': '4096\t87380   16777216' })).toBe(
      'vm.swappiness = 0\nnet.ipv4.tcp_rmem = 4096 87380 16777216\n',
    );
    expect(procPath('net.ipv4.conf.eth0/1.forwarding')).toBe('/proc/sys/net/ipv4/conf/eth0.1/forwarding');
  });

  it('parses the file and live values from the read command', () => {
    const state = parseState(`@path\t/etc/sysctl.conf\n@file\t${Buffer.from('a = 1\n').toString('base64')}\n@live\tnet/core/somaxconn\tro\t4096 \n`);
    expect(state).toEqual({
      path: '/etc/sysctl.conf',
      kind: 'file',
      content: 'a = 1\n',
      live: new Map([['net.core.somaxconn', { access: 'ro', value: '4096' }]]),
    });
  });
});

describe('sysctl live values where /proc/sys is writable', () => {
  it('sets only the keys whose live value differs, with one sysctl -w', async () => {
    const file = b64('vm.swappiness = 1\nnet.core.somaxconn = 1024\n');
    const host = fakeHost()
      .on(/^real=/, { stdout: `@path\t/etc/sysctl.d/x.conf\n@file\t${file}\n@live\tvm.swappiness\trw\t60\n@live\tnet.core.somaxconn\trw\t1024\n` })
      .on('sysctl -q -w vm.swappiness=1');
    const plan = await planOn(sysctl, { settings: { 'vm.swappiness': 1, 'net.core.somaxconn': 1024 }, sysctl_file: '/etc/sysctl.d/x.conf' }, host);
    expect(plan).toMatchObject({ changed: true, summary: 'set live vm.swappiness = 1 (was 60)', warnings: [] });
    expect(host.sent).toHaveLength(1);
    await plan.apply?.();
    expect(host.commands[1]).toBe('sysctl -q -w vm.swappiness=1');
  });
});

describe('sysctl arguments', () => {
  it('refuses a settings key that is not a sysctl key, and its value unchecked with it', () => {
    expect(() => checkedArgs(sysctl, { settings: { 'vm.swappiness = 1\nkernel.panic': 0 } })).toThrow('invalid arguments');
    expect(() => checkedArgs(sysctl, { settings: { 'vm.swappiness': '1\nkernel.panic = 0' } })).toThrow('invalid arguments');
    expect(checkedArgs(sysctl, { settings: { 'net.ipv4.conf.eth0/1.forwarding': 1 } })).toEqual({
      settings: { 'net.ipv4.conf.eth0/1.forwarding': 1 },
    });
  });

  it('refuses a key with a level that would become .. or . in /proc/sys, where it reads files outside it', () => {
    for (const key of ['kernel.//.//.//.tmp.x', 'kernel./.x', 'kernel..x', '.kernel', 'kernel.']) {
      expect(() => checkedArgs(sysctl, { name: key, value: 1 }), key).toThrow('invalid arguments');
      expect(() => checkedArgs(sysctl, { settings: { [key]: 1 } }), key).toThrow('invalid arguments');
    }
  });
});
