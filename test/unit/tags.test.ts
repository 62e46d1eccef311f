import { describe, expect, it } from 'vitest';
import { selectedByTags } from '../../engine/tags.ts';

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
