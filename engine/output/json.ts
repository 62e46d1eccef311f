import type { EventSink, RunEvent } from './events.ts';

/** One JSON object per line as each event happens, for programs and agents. */
export function jsonSink(write: (line: string) => void = (l) => process.stdout.write(l)): EventSink {
  return {
    emit: (event: RunEvent) => write(`${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`),
    close: async () => {},
  };
}
