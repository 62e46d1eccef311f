import { Type } from '@sinclair/typebox';
import { defineModule } from '../engine/module.ts';

/** Print a message in the task's result; runs on the controller. */
export const debug = defineModule({
  name: 'debug',
  args: Type.Object({ msg: Type.String() }, { additionalProperties: false }),
  local: true,
  plan: async (_ctx, args) => ({ changed: false, summary: args.msg, data: { msg: args.msg } }),
});
