import { describe, expect, it } from 'vitest';
import { shq } from '../../engine/shell-quote.ts';
import { condition, pollScript, waitFor } from '../../modules/wait-for.ts';
import { fakeHost, runModule } from './fake-host.ts';

const PORT = { port: 5432 };
const PORT_TEST = `timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ 127.0.0.1 5432 2>/dev/null`;
/** The poll as sent: the whole loop runs on the host in one command. */
const poll = (timeout: number, delay: number): string => `bash -c ${shq(pollScript({ test: PORT_TEST, what: '' }, timeout, delay, 1))}`;

describe('wait_for conditions', () => {
  it('builds port and path tests with every value quoted', () => {
    expect(condition({ port: 5432, host: '10.10.10.11', state: 'stopped', connect_timeout: 2 })).toEqual({
      test: `! timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ 10.10.10.11 5432 2>/dev/null`,
      what: 'port 5432 on 10.10.10.11 to be closed',
    });
    expect(condition({ path: "/tmp/it's" }).test).toBe(`[ -e '/tmp/it'"'"'s' ]`);
    expect(condition({ path: '/pg/log', search_regex: "ready'$(x)" })).toMatchObject({
      test: `[ -f /pg/log ] && grep -qsP -e 'ready'"'"'$(x)' -- /pg/log`,
      what: "/pg/log to match /ready'$(x)/",
    });
    expect(() => condition({ path: '/x', search_regex: 'a', state: 'absent' })).toThrow('cannot be combined with state absent');
  });

  it('polls with a deadline and validates a regex first', () => {
    const script = pollScript({ test: '[ -e /x ]', what: '/x to exist', regex: 'a(' }, 30, 2, 1);
    expect(script.split('\n')).toEqual([
      'set -u',
      `err=$(grep -qP -e 'a(' -- /dev/null 2>&1)`,
      `if [ $? -eq 2 ]; then printf 'badregex %s\\n' "$err"; exit 0; fi`,
      'sleep 2',
      's=${EPOCHREALTIME/./}',
      'while :; do',
      '  t=$(( (${EPOCHREALTIME/./} - s) / 1000000 ))',
      '  if [ -e /x ]; then echo "ok $t"; exit 0; fi',
      '  if [ "$t" -ge 30 ]; then echo "timeout $t"; exit 0; fi',
      '  sleep 1',
      'done',
    ]);
  });
});

describe('wait_for', () => {
  it('polls on the host in one command with a time limit past its deadline, and reports the wait, unchanged', async () => {
    const host = fakeHost().on(poll(300, 0), { stdout: 'ok 3\n' });
    const { result, plan } = await runModule(waitFor, PORT, host);
    expect(result).toEqual({ changed: false, failed: false, elapsed: 3 });
    expect(plan?.summary).toBe('waited 3s for port 5432 on 127.0.0.1 to accept connections');
    // delay + timeout + sleep + connect_timeout + 60 s for the round trip.
    expect(host.sent).toEqual([{ command: poll(300, 0), timeoutMs: 366_000 }]);
  });

  it('counts the delay in the time waited', async () => {
    const host = fakeHost().on(poll(30, 5), { stdout: 'ok 0\n' });
    expect((await runModule(waitFor, { ...PORT, timeout: 30, delay: 5 }, host)).result.elapsed).toBe(5);
  });

  it('in check mode probes once without waiting, and reports not yet instead of failing', async () => {
    const host = fakeHost({ check: true }).on(poll(0, 0), { stdout: 'timeout 0\n' });
    const { result, plan } = await runModule(waitFor, { ...PORT, delay: 10 }, host);
    expect(result).toEqual({ changed: false, failed: false, elapsed: 0 });
    expect(plan?.summary).toBe('would wait for port 5432 on 127.0.0.1 to accept connections (up to 300s): not yet');
    expect(host.sent).toEqual([{ command: poll(0, 0), timeoutMs: 60_000 }]);
  });

  it('fails at the deadline with its own message or msg, and on a regex grep rejects', async () => {
    const host = fakeHost()
      .on(poll(10, 0), { stdout: 'timeout 10\n' })
      .on(/grep -qP -e/, { stdout: 'badregex grep: missing closing parenthesis\n' });
    expect((await runModule(waitFor, { ...PORT, timeout: 10 }, host)).result).toMatchObject({
      failed: true,
      rc: 1,
      msg: 'timed out after 10s waiting for port 5432 on 127.0.0.1 to accept connections',
    });
    expect((await runModule(waitFor, { ...PORT, timeout: 10, msg: 'postgres did not start' }, host)).result.msg).toBe('postgres did not start');
    expect((await runModule(waitFor, { path: '/pg/log/postgres.csv', search_regex: 'ready(' }, host)).result.msg).toBe(
      'wait_for: invalid search_regex /ready(/: grep: missing closing parenthesis',
    );
  });

  it('refuses port and path together before sending anything', async () => {
    const host = fakeHost();
    expect((await runModule(waitFor, { port: 5432, path: '/tmp/x' }, host)).result.msg).toBe('wait_for needs exactly one of "port" or "path"');
    expect(host.sent).toEqual([]);
  });
});
