import type { EventSink, RunEvent } from './events.ts';
import { formatEvent, type Style } from './format.ts';

/** Plain lines as events happen: for CI logs and pipes, where a live display would be noise. */
export function plainSink(style: Style, write: (text: string) => void = (t) => process.stdout.write(t)): EventSink {
  return {
    emit: (event: RunEvent) => {
      for (const line of formatEvent(event, style)) write(`${line}\n`);
    },
    close: async () => {},
  };
}
