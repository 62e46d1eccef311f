import { randomBytes } from 'node:crypto';
import { shq } from '../shell-quote.ts';
import type { Become } from './types.ts';

/** Whether a command runs through sudo at all: become to a user other than the login user. */
export function needsSudo(loginUser: string, become?: Become): become is Become {
  return become !== undefined && become.user !== loginUser;
}

/**
 * What one become command prints on stderr, random per command so that nothing else prints them: sudo's prompt
 * (-p; hex only, as sudo expands % escapes in it), and the word its shell prints on a line of its own, after a NUL,
 * once sudo let it run.
 */
export interface SudoMarkers {
  prompt: string;
  started: string;
}

export function sudoMarkers(): SudoMarkers {
  const id = randomBytes(12).toString('hex');
  return { prompt: `pgsty-sudo-${id}:`, started: `pgsty-started-${id}` };
}

/** The exact bytes of the started line on stderr. */
export function startedLine(markers: SudoMarkers): string {
  return `\0${markers.started}\n`;
}

/**
 * How a command that waits for sudo's prompt gets its own stdin once it runs: 'inherit' reads sudo's stdin to its
 * end (a pipe the caller closes after writing it); a number reads exactly that many bytes of base64 text from
 * sudo's stdin and decodes them (a stream that goes on after them, so the command must not read further); 0 is
 * no input at all.
 */
export type PromptInput = 'inherit' | number;

/**
 * Wrap a command so it runs as the become user. Without `prompt`, `sudo -n`: sudo never reads stdin, which is the
 * command's. With it, sudo prompts with the random marker the connection waits for before writing the password,
 * and the command's own input is written only after its shell printed the started line, so a sudo that does not
 * ask (NOPASSWD, root, cached credentials) never passes the password to the command.
 */
export function wrapBecome(command: string, user: string, markers: SudoMarkers, prompt?: { input: PromptInput }): string {
  const started = `printf "\\000%s\\n" ${markers.started} >&2`;
  // The login user's directory is often unreadable to the become user, which breaks find and others.
  const run = `cd / && ${command}`;
  let body = run;
  if (prompt?.input === 0) body = `exec </dev/null; ${run}`;
  // A command that stops reading early must not leave the rest on the stream, where the next reader would get it.
  // Its own line ends before the `)`, which a trailing comment or a here-document would otherwise swallow.
  else if (typeof prompt?.input === 'number') body = `head -c ${prompt.input} | { base64 -d | (${run}\n); rc=$?; cat >/dev/null; exit $rc; }`;
  const sudo = prompt ? `sudo -S -p ${markers.prompt}` : 'sudo -n';
  return `${sudo} -H -u ${shq(user)} -- sh -c ${shq(`${started}; ${body}`)}`;
}

/** What a become command's stderr asks of the connection: write the password, write the command's input, or give up. */
export type SudoEvent = 'password' | 'started' | 'refused';

/**
 * Reads a become command's stderr up to its started line. sudo's first prompt is answered with the password; a
 * second one means sudo refused it and would wait for another, which never comes.
 */
export class SudoDialogue {
  prompts = 0;
  started = false;
  private text = '';
  private scanned = 0;

  constructor(private readonly markers: SudoMarkers) {}

  /** Take the next stderr bytes (as latin1, the markers being ASCII) and return what they ask for, in order. */
  feed(chunk: string): SudoEvent[] {
    if (this.started) return [];
    this.text += chunk;
    const line = startedLine(this.markers);
    const events: SudoEvent[] = [];
    for (;;) {
      const prompt = this.text.indexOf(this.markers.prompt, this.scanned);
      const started = this.text.indexOf(line, this.scanned);
      if (started >= 0 && (prompt < 0 || started < prompt)) {
        this.started = true;
        events.push('started');
        return events;
      }
      if (prompt < 0) return events;
      this.scanned = prompt + this.markers.prompt.length;
      this.prompts++;
      events.push(this.prompts === 1 ? 'password' : 'refused');
    }
  }
}

/** A become command's stderr without sudo's prompts and the started line: what sudo said, then what the command said. */
export function withoutMarkers(stderr: string, markers: SudoMarkers): string {
  const line = startedLine(markers);
  const at = stderr.indexOf(line);
  const sudoPart = at < 0 ? stderr : stderr.slice(0, at);
  return sudoPart.split(markers.prompt).join('') + (at < 0 ? '' : stderr.slice(at + line.length));
}

/** sudo reads a password up to the first line break: the rest would reach whatever reads the stream next. */
export function passwordProblem(password: string): string | undefined {
  return /[\r\n]/.test(password) ? 'the become password holds a line break, which sudo would take as its end' : undefined;
}

/**
 * Why a become command failed once sudo had the password: it asked again (a wrong password), or it stopped
 * (not allowed, or too many attempts). Names the variable, never the value.
 */
export function refusedMessage(loginUser: string, becomeUser: string, askedAgain: boolean): string {
  const what = askedAgain
    ? `sudo refused the become password (ansible_become_password) of ${loginUser}`
    : `sudo failed for ${loginUser} once given the become password (ansible_become_password)`;
  return `${what}, becoming ${becomeUser}; not tried again on this host`;
}
