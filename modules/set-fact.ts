import { Type } from '@sinclair/typebox';
import { defineModule } from '../engine/module.ts';

/** Set host facts for later tasks and plays; runs on the controller and changes nothing. */
export const setFact = defineModule({
  name: 'set_fact',
  args: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Unknown(), { additionalProperties: false }),
  local: true,
  plan: async (_ctx, args) => ({ changed: false, facts: args }),
});
