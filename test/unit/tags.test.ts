import { describe, expect, it } from 'vitest';
import { dsl, type Playbook } from '../../engine/dsl.ts';
import { parseInventory } from '../../engine/inventory.ts';
import type { RunEvent } from '../../engine/output/events.ts';
import { Runner, type RunOptions } from '../../engine/runner.ts';
import { selectedByTags, taskSelected } from '../../engine/tags.ts';
import { debug } from '../../modules/debug.ts';

const all = { only: [], skip: [] };
const only = (...tags: string[]) => ({ only: tags, skip: [] });

describe('tag selection as Ansible does it', () => {
  it('runs every task but never-tagged ones by default', () => {
    expect(selectedByTags([], all)).toBe(true);
    expect(selectedByTags(['pg_hba'], all)).toBe(true);
    expect(selectedByTags(['never', 'pg_reset'], all)).toBe(false);
  });

  it('with -t runs the matching tasks and the always ones', () => {
    expect(selectedByTags(['pg_hba', 'pgsql'], only('pg_hba'))).toBe(true);
    expect(selectedByTags(['pg_conf'], only('pg_hba'))).toBe(false);
    expect(selectedByTags(['always', 'node-id'], only('pg_hba'))).toBe(true);
    expect(selectedByTags([], only('pg_hba'))).toBe(false);
  });

  it('runs a never-tagged task only when one of its own tags is asked for', () => {
    expect(selectedByTags(['never', 'pg_reset'], only('pg_reset'))).toBe(true);
    expect(selectedByTags(['never', 'pg_reset'], only('pg_hba'))).toBe(false);
    expect(selectedByTags(['never', 'pg_reset'], only('never'))).toBe(true);
  });

  it('skip-tags wins over always and over -t', () => {
    expect(selectedByTags(['always', 'node-id'], { only: [], skip: ['node-id'] })).toBe(false);
    expect(selectedByTags(['always'], { only: ['x'], skip: ['always'] })).toBe(false);
    expect(selectedByTags(['pg_hba'], { only: ['pg_hba'], skip: ['pg_hba'] })).toBe(false);
  });

  it('understands tagged and untagged', () => {
    expect(selectedByTags([], only('untagged'))).toBe(true);
    expect(selectedByTags(['a'], only('untagged'))).toBe(false);
    expect(selectedByTags(['a'], only('tagged'))).toBe(true);
    expect(selectedByTags(['a'], { only: [], skip: ['tagged'] })).toBe(false);
    expect(selectedByTags([], { only: [], skip: ['untagged'] })).toBe(false);
  });
});

describe('guard tasks', () => {
  const guard = { tags: ['always', 'pg_safeguard'], guard: true };
  const plain = { tags: ['pg_data'], guard: false };

  it('are selected whatever the tag selection, where an always-tagged task can be skipped', () => {
    expect(taskSelected(guard, { only: [], skip: ['pg_safeguard'] })).toBe(true);
    expect(taskSelected(guard, { only: [], skip: ['always'] })).toBe(true);
    expect(taskSelected(guard, { only: ['pg_data'], skip: [] })).toBe(true);
    expect(selectedByTags(guard.tags, { only: [], skip: ['pg_safeguard'] })).toBe(false);
    expect(taskSelected(plain, { only: [], skip: ['pg_data'] })).toBe(false);
  });

  /** Run a three-task play on one host (debug tasks need no connection) and name the tasks that ran. */
  async function ran(options: Partial<RunOptions>): Promise<string[]> {
    const { task } = dsl<Record<string, unknown>>();
    const book: Playbook = {
      name: 'rm',
      description: 'test',
      plays: [
        {
          name: 'RM',
          hosts: 'all',
          tasks: [
            task('safeguard', debug, { msg: 'checked' }, { tags: ['always', 'pg_safeguard'], guard: true }),
            task('stop postgres', debug, { msg: 'stop' }, { tags: ['postgres'] }),
            task('remove data', debug, { msg: 'rm' }, { tags: ['pg_data'] }),
          ],
        },
      ],
    };
    const events: RunEvent[] = [];
    const runner = new Runner({
      inventory: parseInventory('all:\n  hosts:\n    10.10.10.99: {}\n', 'inline.yml'),
      extraVars: {},
      check: false,
      diff: false,
      tags: { only: [], skip: [] },
      forks: 1,
      connector: () => Promise.reject(new Error('no connection expected')),
      sink: { emit: (e) => events.push(e), close: async () => undefined },
      ...options,
    });
    await runner.run(book);
    return events.flatMap((e) => (e.type === 'task_result' ? [e.task] : []));
  }

  it('run under --skip-tags naming them', async () => {
    expect(await ran({ tags: { only: [], skip: ['pg_safeguard'] } })).toEqual(['safeguard', 'stop postgres', 'remove data']);
  });

  it('run before the task --start-at-task names, with the free strategy too', async () => {
    expect(await ran({ startAtTask: 'remove data' })).toEqual(['safeguard', 'remove data']);
    expect(await ran({ tags: { only: ['pg_data'], skip: ['always'] }, strategy: 'free' })).toEqual(['safeguard', 'remove data']);
  });
});
