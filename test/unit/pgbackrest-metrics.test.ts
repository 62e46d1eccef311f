import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'roles/pg_monitor/files/pgbackrest-metrics');

/**
 * Run the script with a `runuser` on PATH that records its arguments and prints `answer` (what `pgbackrest info`
 * printed on the sandbox), writing into a fresh textfile directory of the test's user.
 */
function run(answer: string, dirMode = 0o755) {
  const work = mkdtempSync(join(tmpdir(), 'pgbr-metrics-'));
  const bin = join(work, 'bin');
  const dir = join(work, 'textfile');
  spawnSync('mkdir', ['-p', bin, dir]);
  chmodSync(dir, dirMode);
  writeFileSync(join(work, 'answer'), answer);
  writeFileSync(join(bin, 'runuser'), `#!/bin/sh\necho "$@" > ${work}/args\ncat ${work}/answer\n`, { mode: 0o755 });
  const r = spawnSync('python3', [SCRIPT, 'postgres', dir], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
  const prom = join(dir, 'pgbackrest.prom');
  return {
    code: r.status,
    stderr: r.stderr,
    args: readFileSync(join(work, 'args'), 'utf8').trim(),
    prom: existsSync(prom) ? readFileSync(prom, 'utf8') : undefined,
  };
}

const fixture = (name: string): string => readFileSync(join(ROOT, 'test/fixtures/pgbackrest', name), 'utf8');
const samples = (prom: string | undefined): string[] => (prom ?? '').split('\n').filter((l) => l && !l.startsWith('#'));

describe('pgbackrest-metrics', () => {
  it("turns the primary's pgbackrest info into status, count, time and sizes of the newest backup of each type", () => {
    const r = run(fixture('info-primary.json'));
    expect(r.code).toBe(0);
    expect(r.args).toBe('-u postgres -- pgbackrest --output=json info');
    const lines = samples(r.prom);
    expect(lines.filter((l) => !l.startsWith('pgbackrest_metrics_timestamp_seconds'))).toEqual([
      'pgbackrest_stanza_status{stanza="pg-test"} 0',
      'pgbackrest_backup_count{stanza="pg-test",type="full"} 1',
      'pgbackrest_backup_count{stanza="pg-test",type="diff"} 0',
      'pgbackrest_backup_count{stanza="pg-test",type="incr"} 0',
      'pgbackrest_backup_last_timestamp_seconds{stanza="pg-test",type="full"} 1796325815',
      'pgbackrest_backup_last_size_bytes{stanza="pg-test",type="full"} 33792772',
      'pgbackrest_backup_last_repo_size_bytes{stanza="pg-test",type="full"} 6813892',
    ]);
    const stamp = Number(lines.find((l) => l.startsWith('pgbackrest_metrics_timestamp_seconds '))?.split(' ')[1]);
    expect(Math.abs(stamp - Date.now() / 1000)).toBeLessThan(60);
  });

  it("reports a replica's stanza without backups as status 2 and zero counts", () => {
    expect(samples(run(fixture('info-replica.json')).prom).slice(0, 4)).toEqual([
      'pgbackrest_stanza_status{stanza="pg-test"} 2',
      'pgbackrest_backup_count{stanza="pg-test",type="full"} 0',
      'pgbackrest_backup_count{stanza="pg-test",type="diff"} 0',
      'pgbackrest_backup_count{stanza="pg-test",type="incr"} 0',
    ]);
  });

  it('escapes a stanza name for the text format', () => {
    expect(samples(run('[{"name": "a\\"b\\\\c", "status": {"code": 0}, "backup": []}]').prom)[0]).toBe(
      'pgbackrest_stanza_status{stanza="a\\"b\\\\c"} 0',
    );
  });

  it('writes nothing when pgbackrest gives no JSON, or into a directory others may write to', () => {
    const broken = run('ERROR: [055]: unable to load info file');
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/gave no JSON/);
    expect(broken.stderr).not.toMatch(/unable to load/);
    expect(broken.prom).toBeUndefined();
    const open = run(fixture('info-primary.json'), 0o775);
    expect(open.code).not.toBe(0);
    expect(open.prom).toBeUndefined();
  });
});
