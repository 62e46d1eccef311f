import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { constants, userInfo } from 'node:os';
import { needsSudo, passwordProblem, refusedMessage, SudoDialogue, sudoMarkers, withoutMarkers, wrapBecome } from './shell.ts';
import type { Connection, ExecOptions, ExecResult } from './types.ts';

/** Commands on the controller itself, for localhost and delegate_to: localhost. */
export class LocalConnection implements Connection {
  readonly user = userInfo().username;
  /** Why sudo failed once given a password, by become user and password: not tried again, as over SSH. */
  private readonly refused = new Map<string, string>();

  constructor(readonly host: string) {}

  /**
   * With a become password, sudo prompts with a random marker: the password is written only when it asks, and the
   * command's input once its shell started, so a sudo that does not ask never hands the password to the command.
   */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const become = options.become;
    const sudo = needsSudo(this.user, become);
    const password = sudo ? become.password : undefined;
    if (sudo && password !== undefined) {
      const problem = passwordProblem(password) ?? this.refused.get(`${become.user}\n${password}`);
      if (problem) return Promise.resolve({ stdout: '', stderr: `${problem}\n`, code: 1 });
    }
    const markers = sudoMarkers();
    const dialogue = password === undefined ? undefined : new SudoDialogue(markers);
    const line = sudo ? wrapBecome(command, become.user, markers, dialogue ? { input: 'inherit' } : undefined) : command;
    const input = Buffer.from(options.stdin ?? '');
    return new Promise((resolve, reject) => {
      // A process group of its own: Ctrl-C in the terminal reaches the engine, which lets running commands finish.
      const child = spawn('sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let refused = false;
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
          }, options.timeoutMs)
        : undefined;
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        err.push(chunk);
        for (const event of dialogue?.feed(chunk.toString('latin1')) ?? []) {
          if (event === 'password') child.stdin.write(`${password}\n`);
          else if (event === 'started') child.stdin.end(input);
          else {
            // sudo asks again and would wait for ever.
            refused = true;
            child.kill('SIGTERM');
          }
        }
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        child.stdin.destroy();
        let stderr = Buffer.concat(err).toString('utf8');
        if (sudo) stderr = withoutMarkers(stderr, markers);
        // The status a shell gives a command killed by a signal, as the SSH connection reports it.
        let status = timedOut ? -1 : (code ?? (signal ? 128 + constants.signals[signal] : -1));
        if (dialogue && become && dialogue.prompts > 0 && !dialogue.started && !timedOut) {
          const message = refusedMessage(this.user, become.user, refused);
          this.refused.set(`${become.user}\n${password}`, message);
          stderr += `${message}\n`;
          status = 1;
        }
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr, code: status });
      });
      // A command that exits without reading its input closes the pipe under us: that is not an error.
      child.stdin.on('error', () => undefined);
      if (!dialogue) child.stdin.end(input.length ? input : undefined);
    });
  }

  async upload(content: Buffer, remotePath: string, mode = 0o600): Promise<void> {
    await writeFile(remotePath, content, { mode });
  }

  async close(): Promise<void> {}
}
