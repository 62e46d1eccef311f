import type { EventSink, RunEvent } from './events.ts';

const RAW_CONTROL = /[\x7f-\x9f]/g;

/**
 * One JSON object per line as each event happens, for programs and agents. Host output keeps its exact text:
 * JSON escapes C0 controls (ESC among them), and DEL and C1 controls (a terminal may read \x9b as CSI) are written
 * as \u escapes too, so the stream is safe to show on a terminal and parses to the same strings.
 */
export function jsonSink(write: (line: string) => void = (l) => process.stdout.write(l)): EventSink {
  const line = (event: RunEvent) =>
    JSON.stringify({ ...event, time: new Date().toISOString() }).replace(RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return {
    emit: (event: RunEvent) => write(`${line(event)}\n`),
    close: async () => {},
  };
}
