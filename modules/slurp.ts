import { Type } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, mustSucceed } from '../engine/module.ts';

export const SlurpArgs = Type.Object(
  {
    src: Type.String({ pattern: '^/', description: 'absolute path of the file to read' }),
  },
  { additionalProperties: false },
);

/** Read a remote file for `register` (base64 on the wire, so any bytes survive); never changes anything. */
export const slurp = defineModule({
  name: 'slurp',
  concurrentPlans: true,
  args: SlurpArgs,
  async plan(ctx, args) {
    const out = mustSucceed(await ctx.run(`base64 -w0 -- ${shq(args.src)}`), `reading ${args.src}`).stdout;
    const bytes = Buffer.from(out.trim(), 'base64');
    return { changed: false, data: { content: bytes.toString('utf8'), content_base64: bytes.toString('base64'), source: args.src } };
  },
});
