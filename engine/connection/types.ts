/** How a command is run on a host: as the login user, or through sudo as another user. */
export interface Become {
  user: string;
  /** sudo password, written only when sudo prompts for it; undefined means NOPASSWD. */
  password?: string;
}

export interface ExecOptions {
  /** Bytes fed to the command's standard input, then closed. */
  stdin?: string | Buffer;
  become?: Become;
  /** Abort the command after this long; the result then has code -1. */
  timeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status as a shell reports it (128+N for a command killed by signal N); -1 after a timeout or a lost session. */
  code: number;
}

/** A live link to one host, open for the whole run. */
export interface Connection {
  readonly host: string;
  /** The user commands run as before any become. */
  readonly user: string;
  /** Run a shell command (sh -c) and collect its output. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Copy bytes to a path the login user may write, over SFTP (or a plain write locally). */
  upload(content: Buffer, remotePath: string, mode?: number): Promise<void>;
  close(): Promise<void>;
}

/** Connection settings as Ansible's inventory variables name them. */
export interface ConnectionTarget {
  host: string;
  address: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  password?: string;
  /** 'ssh' or 'local' (Ansible's ansible_connection). */
  kind: 'ssh' | 'local';
}

/** Raised when a host cannot be reached or authenticated: the runner marks the host unreachable. */
export class UnreachableError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}
