import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../engine/inventory.ts';
import { applyLimit, resolvePattern } from '../../engine/patterns.ts';
import { thrown } from './thrown.ts';

const dir = fileURLToPath(new URL('../fixtures/inventory/', import.meta.url));
const full = loadInventory(`${dir}full.yml`);
const nested = loadInventory(`${dir}nested.yml`);
const hosts = (pattern: string): string[] => resolvePattern(full, pattern, { cwd: dir }).hosts;

describe('host patterns', () => {
  it('selects a group, a host by IP, and everything', () => {
    expect(resolvePattern(full, 'pg-test')).toEqual({ hosts: ['10.10.10.11', '10.10.10.12', '10.10.10.13'], unmatched: [] });
    expect(hosts('10.10.10.12')).toEqual(['10.10.10.12']);
    expect(hosts('all')).toEqual(['10.10.10.10', '10.10.10.11', '10.10.10.12', '10.10.10.13']);
    expect(hosts('*')).toEqual(['10.10.10.10', '10.10.10.11', '10.10.10.12', '10.10.10.13']);
  });

  it('unions lists separated by commas, colons or spaces, in inventory order', () => {
    expect(hosts('10.10.10.13,pg-meta')).toEqual(['10.10.10.10', '10.10.10.13']);
    expect(hosts('10.10.10.12:pg-meta')).toEqual(['10.10.10.10', '10.10.10.12']);
    expect(hosts('10.10.10.11, 10.10.10.13')).toEqual(['10.10.10.11', '10.10.10.13']);
  });

  it('matches globs against group names and host names', () => {
    expect(hosts('pg-t*')).toEqual(['10.10.10.11', '10.10.10.12', '10.10.10.13']);
    expect(hosts('*.13')).toEqual(['10.10.10.13']);
    expect(hosts('10.10.10.1?')).toEqual(['10.10.10.10', '10.10.10.11', '10.10.10.12', '10.10.10.13']);
    expect(hosts('e?cd')).toEqual(['10.10.10.10']);
  });

  it('matches ~regex from the start of the name, like Python re.match', () => {
    expect(hosts('~10\\.10\\.10\\.1[12]')).toEqual(['10.10.10.11', '10.10.10.12']);
    expect(hosts('~pg-te')).toEqual(['10.10.10.11', '10.10.10.12', '10.10.10.13']);
    expect(resolvePattern(full, '~test')).toEqual({ hosts: [], unmatched: ['~test'] });
  });

  it('excludes with ! and intersects with &, whatever their position', () => {
    expect(hosts('all:!pg-test')).toEqual(['10.10.10.10']);
    expect(hosts('!pg-test')).toEqual(['10.10.10.10']);
    expect(hosts('pg-*:&etcd')).toEqual(['10.10.10.10']);
    expect(resolvePattern(full, 'pg-test:&etcd')).toEqual({ hosts: [], unmatched: [] });
    expect(hosts('!pg-meta:&pg-*:all')).toEqual(['10.10.10.11', '10.10.10.12', '10.10.10.13']);
  });

  it('applies subscripts to a group: index, negative index, inclusive range, open range', () => {
    expect(hosts('pg-test[0]')).toEqual(['10.10.10.11']);
    expect(hosts('pg-test[-1]')).toEqual(['10.10.10.13']);
    expect(hosts('pg-test[0:1]')).toEqual(['10.10.10.11', '10.10.10.12']);
    expect(hosts('pg-test[1:]')).toEqual(['10.10.10.12', '10.10.10.13']);
    expect(hosts('pg-test[0],pg-test[2]')).toEqual(['10.10.10.11', '10.10.10.13']);
    expect(thrown(() => hosts('pg-test[3]')).expected).toBe('an index from -3 to 2');
  });

  it('reads @file patterns one per line, relative to cwd', () => {
    expect(hosts('@limit.txt')).toEqual(['10.10.10.10', '10.10.10.11']);
    expect(hosts('@limit.txt:!pg-meta')).toEqual(['10.10.10.11']);
    expect(thrown(() => hosts('@missing.txt')).context.file).toBe(`${dir}missing.txt`);
  });

  it('reports the terms that matched nothing', () => {
    expect(resolvePattern(full, 'pg-test,pg-tset:!nope:&pg-*')).toEqual({
      hosts: ['10.10.10.11', '10.10.10.12', '10.10.10.13'],
      unmatched: ['pg-tset', '!nope'],
    });
    expect(resolvePattern(nested, 'ghost[0]')).toEqual({ hosts: [], unmatched: ['ghost[0]'] });
  });

  it('includes the hosts of child groups and the implicit ungrouped group', () => {
    expect(resolvePattern(nested, 'web').hosts).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(resolvePattern(nested, 'ungrouped').hosts).toEqual(['10.0.0.9']);
    expect(resolvePattern(nested, 'all:!web').hosts).toEqual(['10.0.0.9', '10.0.0.5']);
  });

  it('rejects empty patterns and invalid regexes', () => {
    expect(thrown(() => hosts('')).message).toBe('host pattern "" has no terms');
    expect(thrown(() => hosts('~pg-(')).expected).toBe('a valid regular expression after ~, or a glob');
    expect(thrown(() => hosts('pg-test:!')).message).toBe('"!" in host pattern "pg-test:!" is not followed by a name');
  });
});

describe('applyLimit', () => {
  it("keeps the play's hosts that the limit selects, in the play's order", () => {
    expect(applyLimit(full, ['10.10.10.13', '10.10.10.11', '10.10.10.12'], 'pg-test:!10.10.10.12')).toEqual(['10.10.10.13', '10.10.10.11']);
    expect(applyLimit(full, ['10.10.10.10', '10.10.10.11'], '@limit.txt:!pg-meta', { cwd: dir })).toEqual(['10.10.10.11']);
  });
});
