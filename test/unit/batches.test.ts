import { describe, expect, it } from 'vitest';
import { batches } from '../../engine/runner.ts';

const hosts = ['a', 'b', 'c', 'd', 'e'];

describe('serial batches', () => {
  it('is one batch without serial', () => expect(batches(hosts, undefined)).toEqual([hosts]));
  it('splits by a count', () => expect(batches(hosts, 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]));
  it('splits by a percentage, at least one host', () => expect(batches(hosts, '20%')).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]));
  it('repeats the last size of a list', () => expect(batches(hosts, [1, 2])).toEqual([['a'], ['b', 'c'], ['d', 'e']]));
});
