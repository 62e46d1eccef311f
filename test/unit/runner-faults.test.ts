import { describe, expect, it } from 'vitest';
import type { Connection, ExecResult } from '../../engine/connection/types.ts';
import { dsl, type Play, type Playbook } from '../../engine/dsl.ts';
import { parseInventory } from '../../engine/inventory.ts';
import type { RunEvent, TaskResultEvent } from '../../engine/output/events.ts';
import { Masker } from '../../engine/output/mask.ts';
import { Runner, type RunOptions } from '../../engine/runner.ts';
import { shell } from '../../modules/shell.ts';

interface V {
  inventory_hostname: string;
  api_password: string;
  missing?: { value: string };
}
const { task, role } = dsl<V>();

const INVENTORY = parseInventory('all:\n  vars:\n    api_password: Sekret-42\n  hosts:\n    a: {}\n    b: {}\n    c: {}\n    d: {}\n', 'inv.yml');

/**
 * A host whose shell commands answer at once, except `hang` (until the connection closes) and `signal NAME`
 * (which interrupts the run with NAME, then answers). Every command run is recorded as "host: command".
 */
function fakeHosts(interrupt?: AbortController) {
  const commands: string[] = [];
  const closed: string[] = [];
  const connector = async (host: string): Promise<Connection> => {
    const hanging: ((r: ExecResult) => void)[] = [];
    return {
      host,
      user: 'root',
      exec: (command: string) => {
        const cmd = command.replace(/^exec \/bin\/sh -c '?(.*?)'?$/, '$1');
        commands.push(`${host}: ${cmd}`);
        if (cmd === 'hang') return new Promise<ExecResult>((resolve) => hanging.push(resolve));
        const signal = /^signal (\w+)$/.exec(cmd);
        if (signal) interrupt?.abort(signal[1]);
        return Promise.resolve({ stdout: '', stderr: '', code: cmd === 'false' ? 1 : 0 });
      },
      upload: async () => {},
      close: async () => {
        closed.push(host);
        for (const resolve of hanging.splice(0)) resolve({ stdout: '', stderr: '', code: -1 });
      },
    };
  };
  return { commands, closed, connector };
}

async function run(plays: Play[], extra: Partial<RunOptions> = {}, hosts = fakeHosts()) {
  const events: RunEvent[] = [];
  const playbook: Playbook = { name: 'faults', description: '', plays };
  const runner = new Runner({
    inventory: INVENTORY,
    extraVars: {},
    check: false,
    diff: false,
    tags: { only: [], skip: [] },
    forks: 10,
    connector: hosts.connector,
    sink: { emit: (e) => events.push(e), close: async () => {} },
    ...extra,
  });
  const summary = await runner.run(playbook);
  const results = events.filter((e): e is TaskResultEvent => e.type === 'task_result');
  const started = events.flatMap((e) => (e.type === 'task_start' ? [e.task] : []));
  const recap = events.at(-1) as Extract<RunEvent, { type: 'recap' }>;
  return { summary, events, results, started, recap, commands: hosts.commands, closed: hosts.closed };
}

const sh = (name: string, cmd: string, options: Parameters<typeof task>[3] = {}) => task(name, shell, { cmd }, options);

describe('an interrupt (SIGINT, SIGTERM)', () => {
  const plays = (): Play[] => [
    {
      name: 'FIRST',
      hosts: 'all',
      roles: [
        role({
          name: 'r',
          tasks: [sh('before', 'true', { notify: ['follow up'] }), sh('interrupting', 'signal SIGINT'), sh('after', 'true')],
          handlers: [sh('follow up', 'true')],
        }),
      ],
    },
    { name: 'SECOND', hosts: 'all', tasks: [sh('later play', 'true')] },
  ];

  it('lets the running task finish on every host, starts nothing after it, and ends with a recap marked interrupted, exit 130', async () => {
    const interrupt = new AbortController();
    const r = await run(plays(), { interrupt: interrupt.signal }, fakeHosts(interrupt));
    expect(r.started).toEqual(['r : before', 'r : interrupting']);
    expect(r.results.filter((e) => e.task === 'r : interrupting').map((e) => `${e.host} ${e.status}`)).toEqual([
      'a changed',
      'b changed',
      'c changed',
      'd changed',
    ]);
    // Neither the notified handler nor the later play ran.
    expect(r.commands.filter((c) => !/before|signal|^.: true$/.test(c))).toEqual([]);
    expect(r.commands.filter((c) => c.endsWith(': true'))).toHaveLength(4);
    expect(r.events.some((e) => e.type === 'play_start' && e.play === 'SECOND')).toBe(false);
    expect(r.events.filter((e) => e.type === 'play_end').map((e) => (e as { play: string }).play)).toEqual(['FIRST']);
    expect(r.events.find((e) => e.type === 'warning')).toMatchObject({
      msg: 'interrupted by SIGINT: no new task starts, running tasks get 30 s to finish',
    });
    expect(r.recap).toMatchObject({ type: 'recap', interrupted: true, signal: 'SIGINT', exit_code: 130 });
    // Tasks never started are counted nowhere.
    expect(r.recap.hosts.a).toEqual({ ok: 2, changed: 2, unreachable: 0, failed: 0, skipped: 0, ignored: 0 });
    expect(r.summary).toMatchObject({ exitCode: 130, interrupted: 'SIGINT' });
    expect(r.closed.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('exits 143 for SIGTERM', async () => {
    const interrupt = new AbortController();
    const ps = plays();
    ps[0] = { name: 'FIRST', hosts: 'all', tasks: [sh('terminating', 'signal SIGTERM'), sh('after', 'true')] };
    const r = await run(ps, { interrupt: interrupt.signal }, fakeHosts(interrupt));
    expect(r.started).toEqual(['terminating']);
    expect(r.recap).toMatchObject({ interrupted: true, signal: 'SIGTERM', exit_code: 143 });
  });

  it('abandons a task still running after the grace period: reported failed, connections closed, nothing after the recap', async () => {
    const interrupt = new AbortController();
    const hosts = fakeHosts(interrupt);
    const ps: Play[] = [
      { name: 'P', hosts: 'a,b', tasks: [sh('hanging on a', 'hang', { when: (v) => v.inventory_hostname === 'a' }), sh('after', 'true')] },
    ];
    setTimeout(() => interrupt.abort('SIGINT'), 20);
    const r = await run(ps, { interrupt: interrupt.signal, interruptGraceMs: 50 }, hosts);
    expect(r.results.map((e) => `${e.host} ${e.task} ${e.status}`)).toEqual(['b hanging on a skipped', 'a hanging on a failed']);
    expect(r.results[1]?.msg).toBe('abandoned: still running 0.05 s after the interrupt');
    expect(r.events.at(-2)).toEqual({ type: 'play_end', play: 'P' });
    expect(r.recap).toMatchObject({ interrupted: true, exit_code: 130 });
    expect(r.recap.hosts.a?.failed).toBe(1);
    // b skipped the task before it needed a connection.
    expect(r.closed).toEqual(['a']);
    // The abandoned command ended when its connection closed; its late result is not reported.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.events.at(-1)).toBe(r.recap);
    expect(r.commands).not.toContain('a: true');
  });
});

describe('an exception in role code', () => {
  const thrower = (v: V): string => {
    if (v.inventory_hostname === 'b') return (v.missing as { value: string }).value;
    return 'true';
  };

  it.each([
    ['module shell: computing arguments', task('t', shell, (v) => ({ cmd: thrower(v) }))],
    ['evaluating when', sh('t', 'true', { when: (v) => thrower(v) === 'true' })],
    ['computing loop', sh('t', 'true', { loop: (v) => [thrower(v)] })],
    ['computing become_user', sh('t', 'true', { become: true, become_user: (v) => thrower(v) })],
    ['computing delegate_to', sh('t', 'true', { delegate_to: (v) => (thrower(v) === 'true' ? 'c' : 'c') })],
    ['module shell: evaluating changed_when', sh('t', 'true', { changed_when: (_r, v) => thrower(v) === 'true' })],
  ])('while %s fails that host alone with a one-line message, and the others go on', async (what, t) => {
    const r = await run([{ name: 'P', hosts: 'all', tasks: [t, sh('next', 'true')] }]);
    const failed = r.results.filter((e) => e.status === 'failed');
    expect(failed.map((e) => e.host)).toEqual(['b']);
    expect(failed[0]?.msg).toBe(`host b: play "P": task "t": ${what} threw TypeError: Cannot read properties of undefined (reading 'value')`);
    expect(failed[0]?.exception).toBeUndefined();
    expect(r.results.filter((e) => e.task === 'next').map((e) => e.host)).toEqual(['a', 'c', 'd']);
    expect(r.summary.exitCode).toBe(2);
  });

  it('inside a module names the module; -v adds the stack trace, and the masker scrubs both', async () => {
    const masker = new Masker();
    masker.collect({ api_password: 'Sekret-42' });
    const events: RunEvent[] = [];
    const broken = {
      ...shell,
      name: 'broken',
      plan: async () => {
        throw new Error('lost Sekret-42\nsecond line');
      },
    };
    const r = await run([{ name: 'P', hosts: 'a', tasks: [task('t', broken, { cmd: 'x' })] }], {
      verbose: true,
      sink: masker.wrap({ emit: (e) => events.push(e), close: async () => {} }),
    });
    expect(r.summary.exitCode).toBe(2);
    const result = events.find((e): e is TaskResultEvent => e.type === 'task_result');
    expect(result?.msg).toBe('host a: play "P": task "t": module broken: the module threw Error: lost ********');
    expect(result?.exception).toMatch(/^Error: lost \*{8}\nsecond line\n\s+at /);
    expect(JSON.stringify(events)).not.toContain('Sekret-42');
  });
});

describe('an exception under no_log', () => {
  it('keeps its stack trace out of the result even with -v', async () => {
    const broken = {
      ...shell,
      name: 'broken',
      plan: async () => {
        throw new Error('inside');
      },
    };
    const r = await run([{ name: 'P', hosts: 'a', tasks: [task('t', broken, { cmd: 'x' }, { no_log: true })] }], { verbose: true });
    expect(r.results[0]?.status).toBe('failed');
    expect(r.results[0]?.exception).toBeUndefined();
  });
});

describe('a play that must stop the run', () => {
  const later: Play = { name: 'LATER', hosts: 'all', tasks: [sh('later', 'true')] };
  const failOn = (host: string) => sh('fail on one host', 'false', { when: (v) => v.inventory_hostname === host });

  it('max_fail_percentage exceeded: no later play starts, with a warning saying why', async () => {
    const r = await run([{ name: 'P', hosts: 'all', max_fail_percentage: 20, tasks: [failOn('c'), sh('next', 'true')] }, later]);
    expect(r.started).toEqual(['fail on one host']);
    expect(r.events.some((e) => e.type === 'play_start' && e.play === 'LATER')).toBe(false);
    expect(r.events.find((e) => e.type === 'warning')).toMatchObject({
      msg: 'play "P": 1 of 4 hosts failed, over max_fail_percentage 20; no further plays run',
    });
    expect(r.recap.exit_code).toBe(2);
  });

  it('max_fail_percentage not exceeded: the run goes on', async () => {
    const r = await run([{ name: 'P', hosts: 'all', max_fail_percentage: 25, tasks: [failOn('c')] }, later]);
    expect(r.results.filter((e) => e.task === 'later').map((e) => e.host)).toEqual(['a', 'b', 'd']);
  });

  it('any_errors_fatal: no later play starts', async () => {
    const r = await run([{ name: 'P', hosts: 'all', any_errors_fatal: true, tasks: [failOn('a')] }, later]);
    expect(r.started).toEqual(['fail on one host']);
    expect(r.events.find((e) => e.type === 'warning')).toMatchObject({ msg: 'play "P": a task failed under any_errors_fatal; no further plays run' });
  });
});
