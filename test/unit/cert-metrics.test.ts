import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../roles/node_monitor/files/cert-metrics', import.meta.url));
const base = realpathSync(mkdtempSync(join(tmpdir(), 'cert-metrics-')));
const run = (dir: string) => spawnSync('sh', [SCRIPT, dir], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
const directory = (name: string, mode: number): string => {
  const dir = join(base, name);
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
};

describe('the certificate metrics script', () => {
  it('writes cert.prom (0644) into a directory only its user may write to, leaving nothing staged', () => {
    const dir = directory('textfile', 0o755);
    const r = run(dir);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(readdirSync(dir)).toEqual(['cert.prom']);
    expect(statSync(join(dir, 'cert.prom')).mode & 0o777).toBe(0o644);
    const [help, type, ...series] = readFileSync(join(dir, 'cert.prom'), 'utf8').trimEnd().split('\n');
    expect([help, type]).toEqual([
      '# HELP pigsty_cert_expiry_timestamp_seconds When the certificate stops being valid (its notAfter), in seconds since the epoch.',
      '# TYPE pigsty_cert_expiry_timestamp_seconds gauge',
    ]);
    for (const line of series) expect(line).toMatch(/^pigsty_cert_expiry_timestamp_seconds\{path="\/[^"]+\.crt"\} \d+$/);
  });

  it('writes nothing through a link in place of the directory, nor into a directory others may write to', () => {
    const user = userInfo().username;
    const elsewhere = directory('elsewhere', 0o755);
    const link = join(base, 'link');
    symlinkSync(elsewhere, link);
    const shared = directory('shared', 0o775);
    for (const dir of [link, shared]) {
      const r = run(dir);
      expect([r.status, r.stderr]).toEqual([
        1,
        `cert-metrics: ${dir} is not a directory of ${user} that only ${user} can write to; nothing written\n`,
      ]);
    }
    expect([readdirSync(elsewhere), readdirSync(shared)]).toEqual([[], []]);
  });
});
