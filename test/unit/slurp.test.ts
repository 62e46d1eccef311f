import { describe, expect, it } from 'vitest';
import { slurp } from '../../modules/slurp.ts';
import { b64, fakeHost, runModule } from './fake-host.ts';

describe('slurp', () => {
  it('reads a file as base64 in one command and returns its text and bytes, unchanged', async () => {
    const host = fakeHost().on('base64 -w0 -- /etc/pki/ca.crt', { stdout: b64('-----BEGIN CERTIFICATE-----\nMIIB\n') });
    expect((await runModule(slurp, { src: '/etc/pki/ca.crt' }, host)).result).toEqual({
      changed: false,
      failed: false,
      content: '-----BEGIN CERTIFICATE-----\nMIIB\n',
      content_base64: b64('-----BEGIN CERTIFICATE-----\nMIIB\n'),
      source: '/etc/pki/ca.crt',
    });
    expect(host.commands).toEqual(['base64 -w0 -- /etc/pki/ca.crt']);
  });

  it('quotes the path and keeps bytes that are not UTF-8 in content_base64; check mode reads the same', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x41]);
    const host = fakeHost({ check: true }).on("base64 -w0 -- '/srv/it'\"'\"'s'", { stdout: bytes.toString('base64') });
    const { result } = await runModule(slurp, { src: "/srv/it's" }, host);
    expect(Buffer.from(result.content_base64 as string, 'base64')).toEqual(bytes);
    expect(result.changed).toBe(false);
  });

  it('fails naming the file and the reason', async () => {
    const host = fakeHost().on('base64 -w0 -- /nope', { code: 1, stderr: 'base64: /nope: No such file or directory\n' });
    expect((await runModule(slurp, { src: '/nope' }, host)).result).toMatchObject({
      failed: true,
      msg: 'reading /nope failed: base64: /nope: No such file or directory',
    });
  });
});
