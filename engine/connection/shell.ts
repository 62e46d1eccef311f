import type { Become } from './types.ts';

/** Quote a value for POSIX sh so it is always one literal word. */
export function shq(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/**
 * Wrap a command so it runs as the become user. Returns the command line and the bytes to put in
 * front of stdin: sudo -S reads the password line first and leaves the rest for the command.
 */
export function wrapBecome(command: string, loginUser: string, become?: Become): { command: string; stdinPrefix: string } {
  if (!become || become.user === loginUser) return { command, stdinPrefix: '' };
  const sudo = become.password === undefined ? 'sudo -n' : "sudo -S -p ''";
  return {
    // The login user's directory is often unreadable to the become user, which breaks find and others.
    command: `${sudo} -H -u ${shq(become.user)} -- sh -c ${shq(`cd / && ${command}`)}`,
    stdinPrefix: become.password === undefined ? '' : `${become.password}\n`,
  };
}
