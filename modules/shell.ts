import { Type } from '@sinclair/typebox';
import { shq } from '../engine/connection/shell.ts';
import { defineModule, ModuleFailure, type ModuleContext } from '../engine/module.ts';

export const ShellArgs = Type.Object(
  {
    cmd: Type.String({ minLength: 1 }),
    chdir: Type.Optional(Type.String({ pattern: '^/' })),
    /** Skip when this path exists (the command already did its work). */
    creates: Type.Optional(Type.String({ pattern: '^/' })),
    /** Skip when this path does not exist. */
    removes: Type.Optional(Type.String({ pattern: '^/' })),
    stdin: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

async function guardSaysSkip(ctx: ModuleContext, creates?: string, removes?: string): Promise<boolean> {
  if (!creates && !removes) return false;
  const tests = [creates ? `[ -e ${shq(creates)} ] && echo creates` : '', removes ? `[ -e ${shq(removes)} ] || echo removes` : '']
    .filter(Boolean)
    .join('; ');
  const out = (await ctx.run(`${tests}; true`)).stdout;
  return out.includes('creates') || out.includes('removes');
}

/** Run a shell command; it reports changed unless a creates/removes guard says it already ran. */
export const shell = defineModule({
  name: 'shell',
  args: ShellArgs,
  async plan(ctx, args) {
    if (await guardSaysSkip(ctx, args.creates, args.removes)) return { changed: false, summary: 'skipped by creates/removes guard' };
    const command = args.chdir ? `cd ${shq(args.chdir)} && ${args.cmd}` : args.cmd;
    return {
      changed: true,
      summary: `${ctx.check ? 'would run' : 'ran'}: ${args.cmd}`,
      apply: async () => {
        const result = await ctx.run(command, args.stdin === undefined ? {} : { stdin: args.stdin });
        const data = { rc: result.code, stdout: result.stdout.replace(/\n$/, ''), stderr: result.stderr.replace(/\n$/, '') };
        if (result.code !== 0) throw new ModuleFailure(`command exited with code ${result.code}`, data);
        return { data };
      },
    };
  },
});
