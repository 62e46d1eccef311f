import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inventorySwitches } from '../../engine/cli.ts';
import { parseInventory } from '../../engine/inventory.ts';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'switches-'));
afterAll(() => rmSync(dir, { recursive: true }));

// Hosts under .invalid, which never resolve: were the switch let through, the run could only fail to connect.
const INVENTORY = `all:
  children:
    pg-meta:
      hosts:
        meta.invalid: { pg_seq: 1, pg_role: primary, dbname: meta }
      vars:
        pg_cluster: pg-meta
        dbforce: true
        pg_databases: [{ name: meta, state: recreate }]
        pg_users: [{ name: dbuser_meta, password: DBUser.Meta }]
  vars:
    username: dbuser_meta
`;

describe('switches of a run that only -e may set', () => {
  it('finds each place the inventory sets one, with its line, never its value', () => {
    const found = inventorySwitches(parseInventory(INVENTORY, 'inv.yml'), ['dbname', 'dbforce']).map((e) => e.describe());
    expect(found).toEqual([
      'inv.yml:8:9: all.children.pg-meta.vars.dbforce: dbforce is a switch of this run, not an inventory variable (expected -e dbforce=... on the command line)',
      'inv.yml:5:54: all.children.pg-meta.hosts.meta.invalid.dbname: dbname is a switch of this run, not an inventory variable (expected -e dbname=... on the command line)',
    ]);
  });

  it('pgsql-db.ts and pgsql-user.ts refuse an inventory that keeps them on, before any connection', () => {
    const file = join(dir, 'inv.yml');
    writeFileSync(file, INVENTORY);
    const run = (entry: string, ...args: string[]) =>
      spawnSync(join(ROOT, entry), ['-i', file, '-l', 'pg-meta', '--json', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    const db = run('pgsql-db.ts', '-e', 'dbname=meta');
    expect(db.status).toBe(1);
    expect(db.stdout).toBe('');
    expect(db.stderr).toContain(`${file}:8:9: all.children.pg-meta.vars.dbforce: dbforce is a switch of this run`);
    expect(db.stderr).toContain(`${file}:5:54: all.children.pg-meta.hosts.meta.invalid.dbname: dbname is a switch of this run`);
    const user = run('pgsql-user.ts');
    expect(user.status).toBe(1);
    expect(user.stderr).toContain(`${file}:12:5: all.vars.username: username is a switch of this run`);
    expect(user.stderr).not.toContain('DBUser.Meta');
  });
});
