import { Type } from '@sinclair/typebox';
import { defineModule, mustSucceed } from '../engine/module.ts';

/** Prove the host answers commands (through become when asked): one round trip, no change. */
export const ping = defineModule({
  name: 'ping',
  args: Type.Object({}, { additionalProperties: false }),
  async plan(ctx) {
    const out = mustSucceed(await ctx.run('echo pong'), 'ping').stdout.trim();
    return { changed: false, data: { ping: out } };
  },
});
