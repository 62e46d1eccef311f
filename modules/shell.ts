import { Type } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import { defineModule } from '../engine/module.ts';
import { planRun, RunOptions } from './command.ts';

export const ShellArgs = Type.Object(
  {
    cmd: Type.String({ minLength: 1, description: 'shell command line' }),
    /** The shell that interprets cmd; /bin/sh unless given (for bash-isms, /bin/bash). */
    executable: Type.Optional(Type.String({ pattern: '^/', description: 'absolute path of the shell, such as /bin/bash' })),
    ...RunOptions,
  },
  { additionalProperties: false },
);

/** Run a shell command line; it reports changed unless a creates/removes guard says it already ran. */
export const shell = defineModule({
  name: 'shell',
  args: ShellArgs,
  plan: (ctx, args) => planRun(ctx, { ...args, line: `${shq(args.executable ?? '/bin/sh')} -c ${shq(args.cmd)}`, display: args.cmd, cmd: args.cmd }),
});
