import type { HostCounts, RunEvent, TaskResultEvent } from './events.ts';

const COLORS = { ok: 32, changed: 33, failed: 31, unreachable: 31, skipped: 36 } as const;

export interface Style {
  color: boolean;
  verbose: boolean;
}

/* eslint-disable no-control-regex -- these patterns exist to match control characters */
/** OSC, DCS, SOS, PM and APC strings, up to their terminator (BEL or ST) or the end of the text. */
const STRING_SEQUENCE = /(?:\x1b[P\]X^_]|[\x90\x98\x9d-\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)/g;
/** CSI sequences: cursor moves, erases, colors, mode changes. */
const CSI = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?/g;
/** Any other escape sequence: ESC, intermediate bytes, a final byte. */
const ESCAPE = /\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
/** What remains of C0 and C1 controls, and DEL; newline and tab stay. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/* eslint-enable no-control-regex */

/**
 * Text from a host (command output, file content) as it may be printed on a terminal: without escape sequences and
 * control characters, which could move the cursor, rewrite earlier lines, retitle the window or hide text.
 */
export function printable(text: string): string {
  return text.replace(STRING_SEQUENCE, '').replace(CSI, '').replace(ESCAPE, '').replace(CONTROL, '');
}

function paint(text: string, code: number, style: Style): string {
  return style.color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function colorDiffLine(line: string, style: Style): string {
  if (!style.color) return line;
  if (line.startsWith('+') && !line.startsWith('+++')) return paint(line, 32, style);
  if (line.startsWith('-') && !line.startsWith('---')) return paint(line, 31, style);
  if (line.startsWith('@@')) return paint(line, 36, style);
  return line;
}

/** The lines a task result prints as; skipped and ok results are quiet unless verbose. */
export function formatResult(e: TaskResultEvent, style: Style): string[] {
  if (!style.verbose && (e.status === 'skipped' || (e.status === 'ok' && !e.summary))) return [];
  const status = e.ignored ? 'failed (ignored)' : e.check && e.status === 'changed' ? 'changed (check)' : e.status;
  const head = [
    paint(status.padEnd(9), COLORS[e.status], style),
    e.host + (e.delegate_to ? ` -> ${e.delegate_to}` : ''),
    `${e.handler ? 'handler ' : ''}[${e.task}]`,
    `${e.duration_ms}ms`,
  ].join('  ');
  const lines = [head];
  if (e.summary && e.status !== 'failed') lines.push(`           ${printable(e.summary)}`);
  if (e.msg)
    lines.push(
      ...printable(e.msg)
        .split('\n')
        .map((l) => `           ${paint(l, 31, style)}`),
    );
  if (e.exception)
    lines.push(
      ...printable(e.exception)
        .split('\n')
        .map((l) => `           ${l}`),
    );
  for (const w of e.warnings ?? []) lines.push(`           ${paint(`warning: ${printable(w)}`, 35, style)}`);
  for (const d of e.diff ?? [])
    lines.push(
      ...printable(d)
        .trimEnd()
        .split('\n')
        .map((l) => colorDiffLine(l, style)),
    );
  return lines;
}

function formatCounts(c: HostCounts, style: Style): string {
  const part = (name: keyof HostCounts, code: number) => {
    const text = `${name}=${c[name]}`;
    return c[name] > 0 ? paint(text, code, style) : text;
  };
  return [part('ok', 32), part('changed', 33), part('unreachable', 31), part('failed', 31), part('skipped', 36), part('ignored', 35)].join('  ');
}

/** Plain-text lines for an event: the same text the terminal renderer prints between its progress. */
export function formatEvent(event: RunEvent, style: Style): string[] {
  switch (event.type) {
    case 'run_start':
      return [`${event.playbook}: ${event.hosts.length} host(s)${event.check ? ', check mode' : ''}${event.diff ? ', diff' : ''}`];
    case 'play_start':
      return ['', paint(`PLAY [${event.play}] ${event.hosts.join(', ')}`, 1, style)];
    case 'task_start':
      return style.verbose ? [`TASK [${event.task}]`] : [];
    case 'task_result':
      return formatResult(event, style);
    case 'warning':
      return [paint(`warning: ${event.host ? `${event.host}: ` : ''}${printable(event.msg)}`, 35, style)];
    case 'play_end':
      return [];
    case 'recap': {
      const width = Math.max(...Object.keys(event.hosts).map((h) => h.length), 4);
      const lines = ['', paint('RECAP', 1, style)];
      for (const [host, counts] of Object.entries(event.hosts)) lines.push(`${host.padEnd(width)}  ${formatCounts(counts, style)}`);
      if (event.slowest.length) {
        lines.push('', 'slowest:');
        for (const s of event.slowest) lines.push(`  ${String(s.duration_ms).padStart(6)}ms  ${s.host}  ${s.task}`);
      }
      const end = event.interrupted ? `interrupted by ${event.signal} after` : 'done in';
      lines.push('', `${end} ${(event.duration_ms / 1000).toFixed(2)}s, exit code ${event.exit_code}`);
      return lines;
    }
  }
}
