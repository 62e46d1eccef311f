import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/cli');

/** Run ./deploy.ts as a user would; none of these cases may open a connection. */
function deploy(...args: string[]) {
  const r = spawnSync(join(ROOT, 'deploy.ts'), args, { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('deploy.ts without touching any host', () => {
  it('lists the hosts of a limit, per play', () => {
    const r = deploy('-i', join(FIXTURES, 'full.yml'), '--list-hosts', '-l', 'pg-test');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('play #1 (all): IDENTITY  hosts (3):\n  10.10.10.11\n  10.10.10.12\n  10.10.10.13\n');
  });

  it('lists the hosts outside a group with an exclusion', () => {
    const r = deploy('-i', join(FIXTURES, 'full.yml'), '--list-hosts', '--json', '-l', 'all:!pg-test');
    expect(JSON.parse(r.stdout).plays[0].hosts).toEqual(['10.10.10.10']);
  });

  it('lists the tasks of a tag with their inherited tags', () => {
    const r = deploy('-i', join(FIXTURES, 'full.yml'), '--list-tasks', '--json', '-t', 'pg-id');
    const plays = JSON.parse(r.stdout).plays as { play: string; tasks: { task: string; tags: string[] }[] }[];
    expect(plays[0]!.tasks.find((t) => t.task === 'pg_id : set postgres identity')?.tags).toEqual(['id', 'pg-id', 'always']);
  });

  it('rejects a bad inventory before any connection, naming file, line, path and what was expected', () => {
    const r = deploy('-i', join(FIXTURES, 'bad-role.yml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad-role\.yml:6:\d+: host 10\.10\.10\.12: .*pg_role: invalid value "master" \(expected one of primary, replica/);
    expect(r.stderr).toMatch(/warning: .*bad-role\.yml:9:\d+: .*pg_verison.*did you mean pg_version\?/);
  });

  it('warns about a limit term that matches nothing and refuses to run on no hosts', () => {
    const r = deploy('-i', join(FIXTURES, 'full.yml'), '-l', 'pg-nothing');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('warning: --limit term "pg-nothing" matched no host or group');
    expect(r.stderr).toContain('no hosts to run on with --limit pg-nothing');
  });

  it('names a missing inventory file', () => {
    const r = deploy('-i', '/nonexistent/pigsty.yml', '--list-hosts');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nonexistent/pigsty.yml: inventory file not found');
  });
});
