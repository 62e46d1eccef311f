import { Type } from '@sinclair/typebox';
import { defineModule } from '../engine/module.ts';
import { parseMode, planContent } from './file-state.ts';

export const Mode = Type.Union([Type.String({ pattern: '^0?[0-7]{3,4}$' }), Type.Integer({ minimum: 0, maximum: 0o7777 })], {
  description: "octal mode such as '0644'",
});

export const CopyArgs = Type.Object(
  {
    dest: Type.String({ pattern: '^/', description: 'absolute path of the file to write' }),
    content: Type.String(),
    owner: Type.Optional(Type.String({ minLength: 1 })),
    group: Type.Optional(Type.String({ minLength: 1 })),
    mode: Type.Optional(Mode),
    backup: Type.Optional(Type.Boolean()),
    validate: Type.Optional(Type.String({ pattern: '%s' })),
  },
  { additionalProperties: false },
);

/** Write a file with the given content, owner and mode; a second run with the same content changes nothing. */
export const copy = defineModule({
  name: 'copy',
  args: CopyArgs,
  plan: (ctx, args) => planContent(ctx, { ...args, mode: parseMode(args.mode) }),
});
