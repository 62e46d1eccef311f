import { describe, expect, it } from 'vitest';
import { setFact } from '../../modules/set-fact.ts';
import { checkedArgs, fakeHost, runModule } from './fake-host.ts';

describe('set_fact', () => {
  it('returns its arguments as facts, unchanged, without sending a command', async () => {
    const host = fakeHost();
    const facts = { pg_role: 'primary', pg_seq: 1, pg_extensions: ['postgis'] };
    const { result, plan } = await runModule(setFact, facts, host);
    expect(setFact.local).toBe(true);
    expect(result).toEqual({ changed: false, failed: false });
    expect(plan?.facts).toEqual(facts);
    expect(host.sent).toEqual([]);
  });

  it('sets the facts in check mode too: later tasks of a dry run need them', async () => {
    const host = fakeHost({ check: true });
    expect((await runModule(setFact, { a: 1 }, host)).plan?.facts).toEqual({ a: 1 });
    expect(host.sent).toEqual([]);
  });

  it('refuses a fact name that is not an identifier', () => {
    expect(() => checkedArgs(setFact, { 'pg-role': 'x' })).toThrow('invalid arguments');
    expect(() => checkedArgs(setFact, { '1st': 'x' })).toThrow('invalid arguments');
  });
});
