import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { Client, type AnyAuthMethod, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { fingerprint, keyType, type HostKeyVerdict, type KnownHosts } from './known-hosts.ts';
import { shq } from '../shell-quote.ts';
import { needsSudo, passwordProblem, refusedMessage, startedLine, SudoDialogue, sudoMarkers, withoutMarkers, wrapBecome } from './shell.ts';
import { UnreachableError, type Become, type Connection, type ConnectionTarget, type ExecOptions, type ExecResult } from './types.ts';

/** OpenSSH's default MaxSessions is 10; stay under it so a busy host never refuses a channel. */
const CHANNELS_PER_CONNECTION = 8;
const CONNECT_ATTEMPTS = 3;
const CHANNEL_OPEN_ATTEMPTS = 8;

export interface SshOptions {
  knownHosts: KnownHosts;
  /** Accept and record a key for a host the known_hosts file does not know yet. */
  trustNewHosts: boolean;
  connectTimeoutMs: number;
  /** Told what the connection would rather not do silently, such as leaving out a private key others can read; stderr by default. */
  warn?: (message: string) => void;
}

const warned = new Set<string>();

/** A warning line on stderr, once per process: every host of a run may use the same key file. */
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`warning: ${message}\n`);
}

/** Key algorithms to offer for a recorded key type: an RSA key is signed with one of several algorithms. */
function algorithmsFor(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}

function defaultKeyFiles(): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(homedir(), '.ssh', n)).filter((f) => existsSync(f));
}

/**
 * Why OpenSSH would refuse a private key file ("UNPROTECTED PRIVATE KEY FILE"): it is ours and group or others
 * may read, write or run it. A key others can read is no longer a secret; a file owned by another user is
 * theirs to guard, as OpenSSH sees it.
 */
export function unprotectedKey(file: string): string | undefined {
  const st = statSync(file);
  if (st.uid !== process.getuid?.() || (st.mode & 0o077) === 0) return undefined;
  return `private key ${file} is open to group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): not used, as OpenSSH refuses it; chmod 600 ${file}`;
}

/** The ways to log in, in OpenSSH's order; a key file OpenSSH would refuse is left out, with a warning. */
function authMethods(target: ConnectionTarget, warn: (message: string) => void): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  const keyFiles = target.privateKeyFile ? [target.privateKeyFile] : defaultKeyFiles();
  for (const file of keyFiles) {
    const problem = unprotectedKey(file);
    if (problem) warn(problem);
    else methods.push({ type: 'publickey' as const, username: target.user, key: readFileSync(file) });
  }
  if (process.env.SSH_AUTH_SOCK) methods.push({ type: 'agent' as const, username: target.user, agent: process.env.SSH_AUTH_SOCK });
  if (target.password !== undefined) methods.push({ type: 'password' as const, username: target.user, password: target.password });
  return methods;
}

function describeVerdict(host: string, port: number, verdict: HostKeyVerdict, presented: Buffer, file: string): string {
  const shown = `${keyType(presented)} ${fingerprint(presented)}`;
  switch (verdict.kind) {
    case 'changed':
      return (
        `host key for ${host}:${port} has CHANGED: it presented ${shown}, ` +
        `but ${file} records ${verdict.known.map((k) => `${k.type} ${k.fingerprint} (line ${k.line})`).join(', ')}; ` +
        `if the host was rebuilt, remove the old entry (ssh-keygen -R ${host})`
      );
    case 'revoked':
      return `host key ${shown} of ${host} is marked @revoked in ${file}:${verdict.line}`;
    default:
      return `host key of ${host} (${shown}) is not in ${file}; rerun with --trust-new-hosts to accept and record it`;
  }
}

/** Open one SSH connection to a host; it stays open for the whole run. */
export async function connectSsh(target: ConnectionTarget, options: SshOptions): Promise<Connection> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= CONNECT_ATTEMPTS; attempt++) {
    try {
      const client = await openClient(target, options);
      return new SshConnection(target, client);
    } catch (error) {
      lastError = error as Error;
      if (!(error instanceof RetryableConnectError) || attempt === CONNECT_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
  throw new UnreachableError(target.host, lastError?.message ?? 'cannot connect');
}

class RetryableConnectError extends Error {}

function openClient(target: ConnectionTarget, options: SshOptions): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyProblem: string | undefined;
    const methods = authMethods(target, options.warn ?? warnOnce);
    const knownTypes = options.knownHosts.typesFor(target.address, target.port);
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      authHandler: methods,
      hostVerifier: (key: Buffer): boolean => {
        const decision = options.knownHosts.decide(target.address, target.host, target.port, key, options.trustNewHosts);
        if (decision.accept) return true;
        hostKeyProblem = describeVerdict(decision.host, target.port, decision.verdict, key, options.knownHosts.file);
        return false;
      },
    };
    if (knownTypes.length > 0) config.algorithms = { serverHostKey: knownTypes.flatMap(algorithmsFor) as never };
    client.once('ready', () => resolve(client));
    client.once('error', (error: Error & { code?: string; level?: string }) => {
      client.end();
      if (hostKeyProblem) return reject(new Error(hostKeyProblem));
      if (error.level === 'client-authentication') {
        const tried = methods.length ? methods.map((m) => m.type).join(', ') : 'no usable key file, agent or password';
        return reject(new Error(`authentication as ${target.user} failed (tried: ${tried})`));
      }
      const message = `${target.address}:${target.port}: ${error.message}`;
      const transient = ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(error.code ?? '');
      reject(transient ? new RetryableConnectError(message) : new Error(message));
    });
    client.connect(config);
  });
}

/** Where a command's output ends: a marker line no command prints, on stdout with its exit status and on stderr. */
interface Pending {
  out: Buffer[];
  err: Buffer[];
  outTail: string;
  errTail: string;
  code?: number;
  errDone: boolean;
  timer?: NodeJS.Timeout;
  resolve: (result: ExecResult) => void;
  prompt?: Prompt;
}

/** A sudo that may prompt: the password for its prompt, and the command's input (base64 lines) once it runs. */
interface Prompt {
  dialogue: SudoDialogue;
  password: string;
  input: string;
}

/** Bytes as base64 in lines of 76, each ending in a newline, as base64 -d reads them. */
function base64Lines(bytes: Buffer): string {
  return bytes.toString('base64').replace(/.{1,76}/g, '$&\n');
}

const TAIL = 96;

/**
 * A long-lived `sh` on one session channel that runs commands one at a time, each as `/bin/sh -c` with its own
 * stdin: the shell Ansible runs modules with (ansible_shell_executable), the one become uses, and cheaper to start
 * than a login shell such as bash. Opening a session costs sshd a fork, PAM and a login shell, about 40 ms on the
 * sandbox nodes; a command in a shell that is already there costs 2 to 5 ms.
 */
class RemoteShell {
  dead = false;
  private readonly marker = randomBytes(12).toString('hex');
  private readonly outEnd: RegExp;
  private readonly errEnd: string;
  private pending: Pending | undefined;

  constructor(private readonly channel: ClientChannel) {
    this.outEnd = new RegExp(`\0${this.marker} (\\d+)\n$`);
    this.errEnd = `\0${this.marker}\n`;
    // Commands get the session's stderr as fd 3 becomes theirs; the shell keeps none of its own.
    channel.write('exec 3>&2 2>/dev/null\n');
    channel.on('data', (chunk: Buffer) => this.onData(chunk, false));
    channel.stderr.on('data', (chunk: Buffer) => this.onData(chunk, true));
    channel.on('close', () => {
      this.dead = true;
      // The session ended under a command (the host went away, or the command killed its shell).
      if (this.pending) this.finish(-1, '');
    });
  }

  /**
   * Run one command. With a prompt, the command is a `sudo -S` that reads the session's own stdin: its first
   * prompt gets the password, and `input` is written once the command's shell printed its started line.
   */
  run(command: string, stdin: Buffer, timeoutMs: number | undefined, prompt?: Prompt): Promise<ExecResult> {
    return new Promise((resolve) => {
      this.pending = { out: [], err: [], outTail: '', errTail: '', errDone: false, resolve, prompt };
      if (timeoutMs) {
        this.pending.timer = setTimeout(() => {
          // The command cannot be stopped without its shell: end the session, as closing a command's own channel did.
          this.kill();
          this.finish(-1, `timed out after ${timeoutMs} ms`);
        }, timeoutMs);
      }
      // The command's parent is a fresh subshell, as an sshd session was: sudo ties cached credentials to the
      // parent process, and a password must still be asked for. That subshell's own notes ("Killed") go to its
      // silenced stderr; the command gets the session's stderr through an inner subshell.
      const run = `( (exec /bin/sh -c ${shq(command)} 2>&3 3>&-`;
      let input: string;
      // sudo reads the session's stdin: one line, so that the shell has read all of it before sudo starts, and
      // nothing else is written until sudo or the command asks for it.
      if (prompt) input = `${run}); exit $? ); `;
      else if (stdin.length) input = `base64 -d <<'${this.marker}' | ${run}); exit $? )\n${base64Lines(stdin)}${this.marker}\n`;
      else input = `${run} </dev/null); exit $? )\n`;
      this.channel.write(`${input}printf '\\000%s %d\\n' ${this.marker} "$?"; printf '\\000%s\\n' ${this.marker} >&3\n`);
    });
  }

  close(): void {
    this.dead = true;
    this.channel.close();
  }

  private kill(): void {
    this.dead = true;
    this.channel.signal('KILL');
    this.channel.close();
  }

  private onData(chunk: Buffer, stderr: boolean): void {
    const p = this.pending;
    if (!p) return;
    if (stderr) {
      p.err.push(chunk);
      for (const event of p.prompt?.dialogue.feed(chunk.toString('latin1')) ?? []) {
        if (event === 'password') this.channel.write(`${p.prompt?.password}\n`);
        else if (event === 'started') this.channel.write(p.prompt?.input ?? '');
        else {
          // sudo asks again and would wait for ever: only ending the session stops it.
          this.kill();
          this.finish(1, '');
          return;
        }
      }
      p.errTail = (p.errTail + chunk.toString('latin1')).slice(-TAIL);
      p.errDone = p.errTail.endsWith(this.errEnd);
    } else {
      p.out.push(chunk);
      p.outTail = (p.outTail + chunk.toString('latin1')).slice(-TAIL);
      const end = this.outEnd.exec(p.outTail);
      if (end) p.code = Number(end[1]);
    }
    if (p.code !== undefined && p.errDone) this.finish(p.code, '');
  }

  private finish(code: number, note: string): void {
    const p = this.pending as Pending;
    this.pending = undefined;
    if (p.timer) clearTimeout(p.timer);
    const text = (chunks: Buffer[], end: RegExp | string) => {
      const all = Buffer.concat(chunks).toString('utf8');
      const cut = typeof end === 'string' ? (all.endsWith(end) ? all.length - end.length : all.length) : (end.exec(all)?.index ?? all.length);
      return all.slice(0, cut);
    };
    p.resolve({ stdout: text(p.out, this.outEnd), stderr: `${text(p.err, this.errEnd)}${note}`, code });
  }
}

class SshConnection implements Connection {
  readonly host: string;
  readonly user: string;
  private readonly limit = pLimit(CHANNELS_PER_CONNECTION);
  private readonly idle: RemoteShell[] = [];
  private sftp: Promise<SFTPWrapper> | undefined;
  /** Become users for whom sudo -n refused: their commands wait for sudo's prompt. */
  private readonly prompting = new Set<string>();
  /**
   * By become user and password: why sudo failed once given that password (it is not tried again, so that a run
   * cannot lock the account), undefined when it did not; pending while the first command that gives it runs.
   */
  private readonly passwordChecks = new Map<string, Promise<string | undefined>>();

  constructor(
    target: ConnectionTarget,
    private readonly client: Client,
  ) {
    this.host = target.host;
    this.user = target.user;
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const stdin = Buffer.from(options.stdin ?? '');
    const become = options.become;
    return this.limit(() =>
      needsSudo(this.user, become)
        ? this.runAs(command, become, stdin, options.timeoutMs)
        : this.onShell((shell) => shell.run(command, stdin, options.timeoutMs)),
    );
  }

  /**
   * Run a command through sudo. `sudo -n` first, stdin as for any command: that costs nothing more when sudo does
   * not ask for a password (NOPASSWD, a root login). Once sudo -n refuses a become user before its command ran and
   * a password is set, that user's commands wait for sudo's prompt instead, and the password is written only when
   * sudo asks for it. A refused password is not tried again, so that a run cannot lock the account.
   */
  private async runAs(command: string, become: Become, stdin: Buffer, timeoutMs: number | undefined): Promise<ExecResult> {
    const password = become.password;
    if (password === undefined || !this.prompting.has(become.user)) {
      const markers = sudoMarkers();
      const result = await this.onShell((shell) => shell.run(wrapBecome(command, become.user, markers), stdin, timeoutMs));
      const started = result.stderr.includes(startedLine(markers));
      result.stderr = withoutMarkers(result.stderr, markers);
      if (started || password === undefined || result.code === -1) return result;
      this.prompting.add(become.user);
    }
    // The first command that gives a password is alone: when sudo refuses it, the others do not try it at once.
    const key = `${become.user}\n${password}`;
    const earlier = this.passwordChecks.get(key);
    const failure = passwordProblem(password) ?? (earlier ? await earlier : undefined);
    if (failure) return { stdout: '', stderr: `${failure}\n`, code: 1 };
    let settle: (failure: string | undefined) => void = () => undefined;
    if (!earlier) this.passwordChecks.set(key, new Promise((resolve) => (settle = resolve)));
    let refused: string | undefined;
    try {
      const markers = sudoMarkers();
      const input = stdin.length ? base64Lines(stdin) : '';
      const dialogue = new SudoDialogue(markers);
      const line = wrapBecome(command, become.user, markers, { input: input.length });
      const result = await this.onShell((shell) => shell.run(line, Buffer.alloc(0), timeoutMs, { dialogue, password, input }));
      result.stderr = withoutMarkers(result.stderr, markers);
      if (dialogue.prompts === 0 || dialogue.started || result.code === -1) return result;
      refused = refusedMessage(this.user, become.user, dialogue.prompts > 1);
      this.passwordChecks.set(key, Promise.resolve(refused));
      return { ...result, stderr: `${result.stderr}${refused}\n`, code: 1 };
    } finally {
      settle(refused);
    }
  }

  /** Run on an idle shell of the pool, or a new one; a shell whose session ended is dropped. */
  private async onShell(work: (shell: RemoteShell) => Promise<ExecResult>): Promise<ExecResult> {
    let shell = this.idle.pop();
    while (shell?.dead) shell = this.idle.pop();
    shell ??= new RemoteShell(await this.openChannel('sh'));
    const result = await work(shell);
    if (!shell.dead) this.idle.push(shell);
    return result;
  }

  /**
   * sshd frees a session slot only after it sees our close, which can be after we already count the
   * channel as done; a channel refused then is retried briefly rather than failing the task.
   */
  private async openChannel(command: string): Promise<ClientChannel> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await new Promise<ClientChannel>((resolve, reject) =>
          this.client.exec(command, (error: Error | undefined, channel: ClientChannel) => (error ? reject(error) : resolve(channel))),
        );
      } catch (error) {
        const refused = /Channel open failure/.test((error as Error).message);
        if (!refused || attempt >= CHANNEL_OPEN_ATTEMPTS) {
          throw new UnreachableError(this.host, `cannot open a channel: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
      }
    }
  }

  async upload(content: Buffer, remotePath: string, mode = 0o600): Promise<void> {
    this.sftp ??= new Promise((resolve, reject) => this.client.sftp((e, s) => (e ? reject(e) : resolve(s))));
    const sftp = await this.sftp;
    await this.limit(() => new Promise<void>((resolve, reject) => sftp.writeFile(remotePath, content, { mode }, (e) => (e ? reject(e) : resolve()))));
  }

  async close(): Promise<void> {
    for (const shell of this.idle.splice(0)) shell.close();
    this.client.end();
  }
}
