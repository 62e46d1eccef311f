import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { constants, userInfo } from 'node:os';
import { wrapBecome } from './shell.ts';
import type { Connection, ExecOptions, ExecResult } from './types.ts';

/** Commands on the controller itself, for localhost and delegate_to: localhost. */
export class LocalConnection implements Connection {
  readonly user = userInfo().username;

  constructor(readonly host: string) {}

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const wrapped = wrapBecome(command, this.user, options.become);
    return new Promise((resolve, reject) => {
      // A process group of its own: Ctrl-C in the terminal reaches the engine, which lets running commands finish.
      const child = spawn('sh', ['-c', wrapped.command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
          }, options.timeoutMs)
        : undefined;
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        // The status a shell gives a command killed by a signal, as the SSH connection reports it.
        const status = timedOut ? -1 : (code ?? (signal ? 128 + constants.signals[signal] : -1));
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: status });
      });
      // A command that exits without reading its input closes the pipe under us: that is not an error.
      child.stdin.on('error', () => undefined);
      const input = Buffer.concat([Buffer.from(wrapped.stdinPrefix), Buffer.from(options.stdin ?? '')]);
      child.stdin.end(input.length ? input : undefined);
    });
  }

  async upload(content: Buffer, remotePath: string, mode = 0o600): Promise<void> {
    await writeFile(remotePath, content, { mode });
  }

  async close(): Promise<void> {}
}
