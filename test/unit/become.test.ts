import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../engine/connection/local.ts';
import { startedLine, SudoDialogue, sudoMarkers, withoutMarkers, wrapBecome } from '../../engine/connection/shell.ts';

const PASSWORD = 'Secr3t-pw';
const dir = mkdtempSync(join(tmpdir(), 'become-'));
const log = join(dir, 'sudo.log');

/**
 * A stand-in for sudo on PATH: with FAKE_SUDO_PASSWORD set it refuses -n and prompts as sudo -S does (the prompt
 * on stderr, one line read from stdin, three tries); without, it runs the command at once, reading nothing, as a
 * NOPASSWD rule does. Each call is logged, to count attempts.
 */
const FAKE_SUDO = `#!/bin/sh
prompt=''
while [ $# -gt 0 ]; do case $1 in -p) prompt=$2; shift 2;; -u) shift 2;; --) shift; break;; *) shift;; esac; done
echo call >> ${log}
if [ -n "$FAKE_SUDO_PASSWORD" ]; then
  [ -n "$prompt" ] || { echo 'sudo: a password is required' >&2; exit 1; }
  tries=0
  while :; do
    printf '%s' "$prompt" >&2
    IFS= read -r line || exit 1
    [ "$line" = "$FAKE_SUDO_PASSWORD" ] && break
    tries=$((tries + 1)); echo 'Sorry, try again.' >&2; [ $tries -lt 3 ] || exit 1
  done
fi
exec "$@"
`;

describe('become without leaking the password', () => {
  const path = process.env.PATH;
  beforeAll(() => {
    writeFileSync(join(dir, 'sudo'), FAKE_SUDO);
    chmodSync(join(dir, 'sudo'), 0o755);
    process.env.PATH = `${dir}:${path}`;
  });
  afterAll(() => {
    process.env.PATH = path;
    delete process.env.FAKE_SUDO_PASSWORD;
  });
  const calls = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;

  it('gives a command exactly its stdin when sudo does not ask, though a password is set', async () => {
    delete process.env.FAKE_SUDO_PASSWORD;
    const local = new LocalConnection('localhost');
    const r = await local.exec('cat; echo done >&2', { stdin: 'line one\nline two\n', become: { user: 'someone-else', password: PASSWORD } });
    expect(r).toEqual({ stdout: 'line one\nline two\n', stderr: 'done\n', code: 0 });
  });

  it('writes the password only at the prompt, then the stdin, and keeps the prompt out of stderr', async () => {
    process.env.FAKE_SUDO_PASSWORD = PASSWORD;
    const local = new LocalConnection('localhost');
    const r = await local.exec('cat', { stdin: 'exact\nbytes', become: { user: 'someone-else', password: PASSWORD } });
    expect(r).toEqual({ stdout: 'exact\nbytes', stderr: '', code: 0 });
  });

  it('fails a wrong password at once with a message naming the variable, and does not try it again', async () => {
    process.env.FAKE_SUDO_PASSWORD = PASSWORD;
    writeFileSync(log, '');
    const local = new LocalConnection('localhost');
    const become = { user: 'someone-else', password: 'wrong-pw' };
    const r = await local.exec('cat', { stdin: 'data', become });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('sudo refused the become password (ansible_become_password)');
    expect(JSON.stringify(r)).not.toContain('wrong-pw');
    expect((await local.exec('cat', { stdin: 'data', become })).stderr).toContain('not tried again');
    expect(calls()).toBe(1);
  });
});

describe('the wrapped command on a stream it shares', () => {
  // As over SSH: sudo reads the password line, the command exactly its framed input, and what follows stays unread.
  function onStream(command: string, input: string, stream: (wrapped: string) => string): string {
    const markers = sudoMarkers();
    const framed = Buffer.from(input)
      .toString('base64')
      .replace(/.{1,76}/g, '$&\n');
    const wrapped = wrapBecome(command, 'someone-else', markers, { input: framed.length });
    return execFileSync('sh', ['-c', `${wrapped}; echo "status $?, rest: $(cat)"`], {
      input: stream(framed),
      encoding: 'utf8',
      stdio: 'pipe',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_SUDO_PASSWORD: PASSWORD },
    });
  }

  it('reads exactly its input after the password, and leaves what follows', () => {
    const input = `${'x'.repeat(200)}\n${PASSWORD}?\n`;
    expect(onStream('cat', input, (framed) => `${PASSWORD}\n${framed}next command\n`)).toBe(`${input}status 0, rest: next command\n`);
  });

  it('runs a command that ends in a comment or a here-document, with its exit status', () => {
    expect(onStream('cat; exit 3 # done', 'in', (framed) => `${PASSWORD}\n${framed}next\n`)).toBe('instatus 3, rest: next\n');
    expect(onStream('cat - <<EOF\nhere\nEOF', 'in', (framed) => `${PASSWORD}\n${framed}`)).toBe('here\nstatus 0, rest: \n');
  });

  it('consumes its input even when the command reads none of it', () => {
    expect(onStream('echo ignored', 'a'.repeat(100_000), (framed) => `${PASSWORD}\n${framed}next command\n`)).toBe(
      'ignored\nstatus 0, rest: next command\n',
    );
  });
});

describe('sudo dialogue', () => {
  const markers = { prompt: 'pgsty-sudo-ab12:', started: 'pgsty-started-ab12' };

  it('answers the first prompt, even split across chunks, then waits for the started line', () => {
    const d = new SudoDialogue(markers);
    expect(d.feed('sudo: unable to resolve host x\npgsty-su')).toEqual([]);
    expect(d.feed('do-ab12:')).toEqual(['password']);
    expect(d.feed(`\0pgsty-started-`)).toEqual([]);
    expect(d.feed('ab12\ncommand says pgsty-sudo-ab12:')).toEqual(['started']);
    expect(d.feed('pgsty-sudo-ab12:')).toEqual([]);
    expect(d).toMatchObject({ prompts: 1, started: true });
  });

  it('reports a second prompt as a refused password, and a start without prompt as no password needed', () => {
    const refused = new SudoDialogue(markers);
    expect(refused.feed('pgsty-sudo-ab12:Sorry, try again.\npgsty-sudo-ab12:')).toEqual(['password', 'refused']);
    const nopasswd = new SudoDialogue(markers);
    expect(nopasswd.feed(startedLine(markers))).toEqual(['started']);
    expect(nopasswd.prompts).toBe(0);
  });

  it('strips the prompts before the started line and the line itself, nothing the command printed', () => {
    const stderr = `warning\npgsty-sudo-ab12:${startedLine(markers)}said pgsty-sudo-ab12:\n`;
    expect(withoutMarkers(stderr, markers)).toBe('warning\nsaid pgsty-sudo-ab12:\n');
  });
});
