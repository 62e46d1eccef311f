import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { Client, type AnyAuthMethod, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { fingerprint, keyType, type HostKeyVerdict, type KnownHosts } from './known-hosts.ts';
import { wrapBecome } from './shell.ts';
import { UnreachableError, type Connection, type ConnectionTarget, type ExecOptions, type ExecResult } from './types.ts';

/** OpenSSH's default MaxSessions is 10; stay under it so a busy host never refuses a channel. */
const CHANNELS_PER_CONNECTION = 8;
const CONNECT_ATTEMPTS = 3;
const CHANNEL_OPEN_ATTEMPTS = 8;

export interface SshOptions {
  knownHosts: KnownHosts;
  /** Accept and record a key for a host the known_hosts file does not know yet. */
  trustNewHosts: boolean;
  connectTimeoutMs: number;
}

/** Key algorithms to offer for a recorded key type: an RSA key is signed with one of several algorithms. */
function algorithmsFor(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}

function defaultKeyFiles(): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(homedir(), '.ssh', n)).filter((f) => existsSync(f));
}

function authMethods(target: ConnectionTarget): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  const keyFiles = target.privateKeyFile ? [target.privateKeyFile] : defaultKeyFiles();
  for (const file of keyFiles) methods.push({ type: 'publickey' as const, username: target.user, key: readFileSync(file) });
  if (process.env.SSH_AUTH_SOCK) methods.push({ type: 'agent' as const, username: target.user, agent: process.env.SSH_AUTH_SOCK });
  if (target.password !== undefined) methods.push({ type: 'password' as const, username: target.user, password: target.password });
  return methods;
}

function describeVerdict(target: ConnectionTarget, verdict: HostKeyVerdict, presented: Buffer, file: string): string {
  const shown = `${keyType(presented)} ${fingerprint(presented)}`;
  switch (verdict.kind) {
    case 'changed':
      return (
        `host key for ${target.address}:${target.port} has CHANGED: it presented ${shown}, ` +
        `but ${file} records ${verdict.known.map((k) => `${k.type} ${k.fingerprint} (line ${k.line})`).join(', ')}; ` +
        `if the host was rebuilt, remove the old entry (ssh-keygen -R ${target.address})`
      );
    case 'revoked':
      return `host key ${shown} of ${target.address} is marked @revoked in ${file}:${verdict.line}`;
    default:
      return `host key of ${target.address} (${shown}) is not in ${file}; rerun with --trust-new-hosts to accept and record it`;
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
    const knownTypes = options.knownHosts.typesFor(target.address, target.port);
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      authHandler: authMethods(target),
      hostVerifier: (key: Buffer): boolean => {
        const verdict = options.knownHosts.verify(target.address, target.port, key);
        if (verdict.kind === 'match') return true;
        if (verdict.kind === 'unknown' && options.trustNewHosts) {
          options.knownHosts.add(target.address, target.port, key);
          return true;
        }
        hostKeyProblem = describeVerdict(target, verdict, key, options.knownHosts.file);
        return false;
      },
    };
    if (knownTypes.length > 0) config.algorithms = { serverHostKey: knownTypes.flatMap(algorithmsFor) as never };
    client.once('ready', () => resolve(client));
    client.once('error', (error: Error & { code?: string; level?: string }) => {
      client.end();
      if (hostKeyProblem) return reject(new Error(hostKeyProblem));
      if (error.level === 'client-authentication') {
        return reject(new Error(`authentication as ${target.user} failed (tried: ${authSummary(target)})`));
      }
      const message = `${target.address}:${target.port}: ${error.message}`;
      const transient = ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(error.code ?? '');
      reject(transient ? new RetryableConnectError(message) : new Error(message));
    });
    client.connect(config);
  });
}

function authSummary(target: ConnectionTarget): string {
  const methods = authMethods(target).map((m) => m.type);
  return methods.length ? methods.join(', ') : 'no key file, agent or password available';
}

class SshConnection implements Connection {
  readonly host: string;
  readonly user: string;
  private readonly limit = pLimit(CHANNELS_PER_CONNECTION);
  private sftp: Promise<SFTPWrapper> | undefined;

  constructor(
    target: ConnectionTarget,
    private readonly client: Client,
  ) {
    this.host = target.host;
    this.user = target.user;
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const wrapped = wrapBecome(command, this.user, options.become);
    return this.limit(() => this.run(wrapped.command, wrapped.stdinPrefix, options));
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

  private async run(command: string, stdinPrefix: string, options: ExecOptions): Promise<ExecResult> {
    const channel = await this.openChannel(command);
    return new Promise((resolve) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs) {
        timer = setTimeout(() => {
          // OpenSSH may ignore the signal request; the result does not wait for the command either way.
          channel.signal('KILL');
          channel.close();
          resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: `${Buffer.concat(err).toString('utf8')}timed out after ${options.timeoutMs} ms`, code: -1 });
        }, options.timeoutMs);
      }
      channel.on('data', (chunk: Buffer) => out.push(chunk));
      channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      channel.on('close', (code: number | null) => {
        if (timer) clearTimeout(timer);
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          code: typeof code === 'number' ? code : -1,
        });
      });
      const input = Buffer.concat([Buffer.from(stdinPrefix), Buffer.from(options.stdin ?? '')]);
      channel.end(input.length ? input : undefined);
    });
  }

  async upload(content: Buffer, remotePath: string, mode = 0o600): Promise<void> {
    this.sftp ??= new Promise((resolve, reject) => this.client.sftp((e, s) => (e ? reject(e) : resolve(s))));
    const sftp = await this.sftp;
    await this.limit(
      () =>
        new Promise<void>((resolve, reject) =>
          sftp.writeFile(remotePath, content, { mode }, (e) => (e ? reject(e) : resolve())),
        ),
    );
  }

  async close(): Promise<void> {
    this.client.end();
  }
}
