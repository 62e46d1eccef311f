import { describe, expect, it } from 'vitest';
import type { RunEvent, TaskResultEvent } from '../../engine/output/events.ts';
import { formatEvent, printable } from '../../engine/output/format.ts';
import { jsonSink } from '../../engine/output/json.ts';
import { plainSink } from '../../engine/output/plain.ts';

/** A control character a terminal acts on: anything below space but newline (and tab where allowed), DEL, C1. */
const controls = (allowTab: boolean) =>
  [...Array(0xa0).keys()].filter((c) => (c < 0x20 ? c !== 0x0a && !(allowTab && c === 0x09) : c >= 0x7f)).map((c) => String.fromCharCode(c));
const hasControl = (text: string, allowTab: boolean) => controls(allowTab).some((c) => text.includes(c));

const result = (fields: Partial<TaskResultEvent>): TaskResultEvent => ({
  type: 'task_result',
  play: 'P',
  task: 't',
  host: 'h',
  status: 'failed',
  duration_ms: 5,
  check: false,
  ...fields,
});

describe('remote text on a terminal', () => {
  it.each([
    ['colors and cursor moves (CSI)', 'a\x1b[31mred\x1b[0m \x1b[2J\x1b[1;1Hb', 'ared b'],
    ['a window title (OSC, BEL-terminated)', 'x\x1b]0;owned\x07y', 'xy'],
    ['a hyperlink (OSC, ST-terminated)', '\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\', 'link'],
    ['an unterminated OSC', 'ok\x1b]2;rest of the text', 'ok'],
    ['a device control string', 'a\x1bP+q\x1b\\b', 'ab'],
    ['charset and keypad escapes', 'a\x1b(0b\x1b=c', 'abc'],
    ['an 8-bit CSI', 'a\u009b2Jb', 'ab'],
    ['carriage return, backspace, bell, NUL and DEL', 'one\rtwo\bthree\x07\x00\x7f', 'onetwothree'],
  ])('strips %s', (_what, input, expected) => expect(printable(input)).toBe(expected));

  it('keeps newlines, tabs and non-ASCII text', () => expect(printable('a\tb\nc é 中\n')).toBe('a\tb\nc é 中\n'));

  it('prints msg, summary, warnings and diffs of a result without escapes, in plain output', () => {
    const lines: string[] = [];
    const sink = plainSink({ color: false, verbose: true }, (t) => lines.push(t));
    sink.emit(result({ status: 'changed', summary: 'ran: \x1b[2Jx' }));
    sink.emit(result({ msg: 'boom\x1b]0;t\x07\r\nnext', warnings: ['w\x1b[1m'] }));
    sink.emit(result({ status: 'changed', diff: ['--- a\n+++ b\n+\x1b[31mline\n'] }));
    sink.emit({ type: 'warning', msg: 'remote \x1b[Ksays' });
    const text = lines.join('');
    expect(hasControl(text, true)).toBe(false);
    expect(text).toContain('           ran: x\n');
    expect(text).toContain('           boom\n           next\n');
    expect(text).toContain('           warning: w\n');
    expect(text).toContain('+line\n');
    expect(text).toContain('warning: remote says\n');
  });

  it('prints an exception stack only when the event carries one', () => {
    const lines = formatEvent(result({ msg: 'host h: task "t": computing loop threw Error: x', exception: 'Error: x\n    at f (a.ts:1:1)' }), {
      color: false,
      verbose: false,
    });
    expect(lines.slice(1)).toEqual([
      '           host h: task "t": computing loop threw Error: x',
      '           Error: x',
      '               at f (a.ts:1:1)',
    ]);
  });
});

describe('the JSON stream', () => {
  it('keeps the exact text, with every control character written as an escape', () => {
    const lines: string[] = [];
    const sink = jsonSink((l) => lines.push(l));
    const msg = 'a\x1b[31mb\u009bc\x7fd\x07';
    sink.emit(result({ msg }));
    expect(hasControl((lines[0] as string).trimEnd(), false)).toBe(false);
    expect(lines[0]).toContain('"msg":"a\\u001b[31mb\\u009bc\\u007fd\\u0007"');
    expect((JSON.parse(lines[0] as string) as { msg: string }).msg).toBe(msg);
  });

  it('marks the recap of an interrupted run', () => {
    const lines: string[] = [];
    const recap: RunEvent = { type: 'recap', duration_ms: 1500, hosts: {}, slowest: [], exit_code: 130, interrupted: true, signal: 'SIGINT' };
    jsonSink((l) => lines.push(l)).emit(recap);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'recap', interrupted: true, signal: 'SIGINT', exit_code: 130 });
    expect(formatEvent(recap, { color: false, verbose: false }).at(-1)).toBe('interrupted by SIGINT after 1.50s, exit code 130');
  });
});
