import { Listr, type ListrTaskWrapper } from 'listr2';
import type { EventSink, RunEvent } from './events.ts';
import { formatEvent, formatResult, printable, type Style } from './format.ts';

interface HostLine {
  title: string;
  failure?: string;
  wrapper?: { title: string };
  done: () => void;
  fail: (error: Error) => void;
  finished: Promise<void>;
}

/**
 * Live progress in a terminal: one line per host showing the task it is on, drawn by listr2.
 * Changes, failures and diffs print as plain lines once a play's display closes, so they stay in the scrollback.
 */
export function progressSink(style: Style): EventSink {
  let chain: Promise<void> = Promise.resolve();
  let hosts = new Map<string, HostLine>();
  let pending: string[] = [];
  // listr2 swaps process.stdout.write for a buffer while it draws; abort() must reach the terminal itself.
  const writeTerminal = process.stdout.write.bind(process.stdout);
  const print = (lines: string[]) => {
    if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
  };
  const later = (fn: () => void | Promise<void>) => {
    chain = chain.then(fn);
  };

  const startPlay = (playHosts: string[], header: string[]) => {
    const lines = new Map<string, HostLine>();
    for (const host of playHosts) {
      let done!: () => void;
      let fail!: (error: Error) => void;
      const finished = new Promise<void>((resolve, reject) => ((done = resolve), (fail = reject)));
      // The display subscribes later; a failure recorded before that is not an unhandled rejection.
      finished.catch(() => undefined);
      lines.set(host, { title: host, done, fail, finished });
    }
    hosts = lines;
    later(async () => {
      print(header);
      const list = new Listr(
        [...lines.values()].map((line) => ({
          title: line.title,
          task: (_ctx: unknown, wrapper: ListrTaskWrapper<unknown, never, never>) => {
            line.wrapper = wrapper as unknown as { title: string };
            wrapper.title = line.title;
            return line.finished;
          },
          exitOnError: false,
        })),
        // listr2's own SIGINT listener would exit the process at once: the CLI decides what an interrupt does.
        { concurrent: true, exitOnError: false, registerSignalListeners: false, rendererOptions: { collapseErrors: false } as never },
      );
      await list.run().catch(() => undefined);
    });
  };

  const setTitle = (host: string, title: string) => {
    const line = hosts.get(host);
    if (!line) return;
    line.title = title;
    if (line.wrapper) line.wrapper.title = title;
  };

  return {
    emit(event: RunEvent) {
      switch (event.type) {
        case 'play_start':
          startPlay(event.hosts, formatEvent(event, style));
          break;
        case 'task_start':
          for (const host of event.hosts) setTitle(host, `${host}  ${event.task}`);
          break;
        case 'task_result': {
          setTitle(event.host, `${event.host}  ${event.task}  ${event.status}`);
          if (event.status === 'failed' || event.status === 'unreachable') {
            const line = hosts.get(event.host);
            if (line && !event.ignored) line.failure = `${event.task}: ${printable(event.msg ?? event.status)}`;
          }
          pending.push(...formatResult(event, style));
          break;
        }
        case 'play_end': {
          const finished = hosts;
          const lines = pending;
          pending = [];
          for (const [host, line] of finished) {
            if (line.failure) line.fail(new Error(`${host}  ${line.failure}`));
            else {
              setTitle(host, `${host}  done`);
              line.done();
            }
          }
          later(() => print(lines));
          break;
        }
        default:
          later(() => print(formatEvent(event, style)));
      }
    },
    close: () => chain,
    // The cursor listr2 hid is shown again, below the last line it drew.
    abort: () => writeTerminal('\x1b[?25h\n'),
  };
}
