import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/signals');

/**
 * Run the fixture playbook on the controller with --json and send it `signals` (one after another, 100 ms apart) as
 * soon as its slow task starts, to its whole process group as a terminal's Ctrl-C does when `group`; resolves with
 * its exit code, events, stderr and the time from the last signal to its exit.
 */
function runAndSignal(
  signals: NodeJS.Signals[],
  group = false,
): Promise<{ code: number | null; events: Record<string, unknown>[]; stderr: string; exitMs: number }> {
  return new Promise((resolve, reject) => {
    // Started as ./deploy.ts and the others start, from the launcher's cached bundle: tsx's loader would cost
    // about 2.5 s of CPU per start.
    const child = spawn('node', [join(ROOT, 'engine/launch.mjs'), join(FIXTURES, 'playbook.ts'), '-i', join(FIXTURES, 'inventory.yml'), '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: group,
    });
    let stdout = '';
    let stderr = '';
    let lastSignal = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      const before = stdout;
      stdout += chunk.toString();
      if (!before.includes('"take a second"') && stdout.includes('"type":"task_start","play":"SLOW","task":"take a second"')) {
        // A group's signal waits until the command is surely running: it must reach that command too.
        signals.forEach((signal, i) =>
          setTimeout(
            () => {
              lastSignal = Date.now();
              if (group) process.kill(-(child.pid as number), signal);
              else child.kill(signal);
            },
            100 * i + (group ? 400 : 0),
          ),
        );
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, events, stderr, exitMs: Date.now() - lastSignal });
    });
  });
}

describe('signals to a running playbook', () => {
  it('SIGTERM: the running task finishes, nothing starts after it, the last event is an interrupted recap, exit 143', async () => {
    const r = await runAndSignal(['SIGTERM']);
    expect(r.code).toBe(143);
    const results = r.events.filter((e) => e.type === 'task_result').map((e) => `${e.task} ${e.status}`);
    expect(results).toEqual(['take a second changed']);
    expect(r.events.some((e) => e.type === 'play_start' && e.play === 'LATER')).toBe(false);
    expect(r.events.at(-1)).toMatchObject({ type: 'recap', interrupted: true, signal: 'SIGTERM', exit_code: 143 });
  }, 30_000);

  it('Ctrl-C reaching the whole process group lets a command running on the controller finish', async () => {
    const r = await runAndSignal(['SIGINT'], true);
    expect(r.code).toBe(130);
    expect(r.events.filter((e) => e.type === 'task_result').map((e) => `${e.task} ${e.status}`)).toEqual(['take a second changed']);
  }, 30_000);

  it('a second SIGINT ends the process at once with 130 and a one-line note, without waiting for the task', async () => {
    const r = await runAndSignal(['SIGINT', 'SIGINT']);
    expect(r.code).toBe(130);
    expect(r.events.some((e) => e.type === 'recap' || e.type === 'task_result')).toBe(false);
    expect(r.stderr.trim()).toBe('SIGINT again: stopping at once, running tasks are left unfinished and no recap follows');
    // The slow task had most of its second left.
    expect(r.exitMs).toBeLessThan(700);
  }, 30_000);
});
