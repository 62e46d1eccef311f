import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { KnownHosts } from './connection/known-hosts.ts';
import { LocalConnection } from './connection/local.ts';
import { connectSsh } from './connection/ssh.ts';
import type { Connection, ConnectionTarget } from './connection/types.ts';
import type { Inventory, Vars } from './inventory-types.ts';

export interface ConnectorOptions {
  inventory: Inventory;
  knownHostsFile?: string;
  trustNewHosts: boolean;
  connectTimeoutMs: number;
  /** -u: login user when the inventory sets no ansible_user. */
  user?: string;
  /** --private-key: key file when the inventory sets none. */
  privateKeyFile?: string;
}

const str = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : String(value));

/** Connection settings from a host's variables, named as Ansible names them. */
export function connectionTarget(host: string, vars: Vars, options: ConnectorOptions): ConnectionTarget {
  const implicitLocal = !options.inventory.hosts.has(host) && ['localhost', '127.0.0.1'].includes(host);
  const target: ConnectionTarget = {
    host,
    address: str(vars.ansible_host) ?? host,
    port: Number(vars.ansible_port ?? 22),
    user: str(vars.ansible_user) ?? options.user ?? userInfo().username,
    kind: vars.ansible_connection === 'local' || implicitLocal ? 'local' : 'ssh',
  };
  const key = str(vars.ansible_ssh_private_key_file) ?? options.privateKeyFile;
  if (key) target.privateKeyFile = key.replace(/^~(?=\/)/, homedir());
  const password = str(vars.ansible_password ?? vars.ansible_ssh_pass);
  if (password !== undefined) target.password = password;
  return target;
}

/** A connector for the runner: SSH for remote hosts (verified against known_hosts), local for the controller. */
export function makeConnector(options: ConnectorOptions): (host: string, vars: Vars) => Promise<Connection> {
  const knownHosts = KnownHosts.load(options.knownHostsFile ?? join(homedir(), '.ssh', 'known_hosts'));
  return async (host, vars) => {
    const target = connectionTarget(host, vars, options);
    if (target.kind === 'local') return new LocalConnection(host);
    return connectSsh(target, { knownHosts, trustNewHosts: options.trustNewHosts, connectTimeoutMs: options.connectTimeoutMs });
  };
}
