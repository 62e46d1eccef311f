import { Type } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type ModuleContext, type Plan } from '../engine/module.ts';

/** Arguments command and shell share: where to run, guards that say it already ran, stdin and a time limit. */
export const RunOptions = {
  chdir: Type.Optional(Type.String({ pattern: '^/', description: 'absolute directory to run in' })),
  /** Skip when this path exists (the command already did its work). */
  creates: Type.Optional(Type.String({ pattern: '^/', description: 'absolute path; skip when it exists' })),
  /** Skip when this path does not exist. */
  removes: Type.Optional(Type.String({ pattern: '^/', description: 'absolute path; skip when it is missing' })),
  /** Fed to the command's standard input as is (no newline added): the place for secrets. */
  stdin: Type.Optional(Type.String()),
  timeout: Type.Optional(Type.Integer({ minimum: 1, description: 'seconds before the command is killed' })),
};

export const CommandArgs = Type.Object(
  {
    /** Program and arguments, each passed as one literal word: no shell expansion, redirection or pipes. */
    argv: Type.Array(Type.String(), { minItems: 1, description: 'program and its arguments' }),
    ...RunOptions,
  },
  { additionalProperties: false },
);

/** How a command runs once its arguments are turned into one shell line. */
export interface RunSpec {
  /** The program and its arguments, quoted, to follow `exec`. */
  line: string;
  /** The command as the summary and messages show it. */
  display: string;
  /** The command as register sees it: argv for command, the string for shell. */
  cmd: string | string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  timeout?: number;
}

const stripEnd = (text: string): string => text.replace(/[\r\n]+$/, '');
const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}...` : text);
/** The end of a long output, where the error usually is. */
const tail = (text: string, max: number): string => (text.length > max ? `...${text.slice(-max)}` : text);
const lines = (text: string): string[] => (text === '' ? [] : text.split(/\r?\n/));

/** Which guard, if any, says the command already did its work: one remote test, only when a guard is given. */
async function guardReason(ctx: ModuleContext, creates?: string, removes?: string): Promise<string | undefined> {
  if (creates === undefined && removes === undefined) return undefined;
  const tests = [
    creates === undefined ? '' : `if [ -e ${shq(creates)} ]; then echo creates; fi`,
    removes === undefined ? '' : `if [ ! -e ${shq(removes)} ]; then echo removes; fi`,
  ].filter(Boolean);
  const out = mustSucceed(await ctx.run(tests.join('; ')), 'checking creates/removes').stdout;
  if (out.includes('creates')) return `${creates} exists`;
  if (out.includes('removes')) return `${removes} does not exist`;
  return undefined;
}

/** Plan running a command: changed unless a guard says it already ran; check mode reports what would run. */
export async function planRun(ctx: ModuleContext, spec: RunSpec): Promise<Plan> {
  const skip = await guardReason(ctx, spec.creates, spec.removes);
  if (skip !== undefined) {
    return {
      changed: false,
      summary: `skipped, since ${skip}`,
      data: { cmd: spec.cmd, rc: 0, stdout: '', stderr: '', msg: `skipped, since ${skip}` },
    };
  }
  // coreutils timeout kills the command on the host: closing the SSH channel would leave it running.
  const run = spec.timeout === undefined ? `exec ${spec.line}` : `exec timeout -k 5 ${spec.timeout} ${spec.line}`;
  const line = spec.chdir === undefined ? run : `cd -- ${shq(spec.chdir)} && ${run}`;
  return {
    changed: true,
    summary: `${ctx.check ? 'would run' : 'ran'}: ${spec.display}`,
    data: { cmd: spec.cmd },
    apply: async () => {
      const result = await ctx.run(line, {
        ...(spec.stdin === undefined ? {} : { stdin: spec.stdin }),
        ...(spec.timeout === undefined ? {} : { timeoutMs: (spec.timeout + 30) * 1000 }),
      });
      const stdout = stripEnd(result.stdout);
      const stderr = stripEnd(result.stderr);
      const data = { cmd: spec.cmd, rc: result.code, stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr) };
      if (result.code !== 0) {
        const what = `"${clip(spec.display, 120)}"`;
        const timedOut = spec.timeout !== undefined && (result.code === 124 || result.code === 137 || result.code === -1);
        const why = timedOut ? `timed out after ${spec.timeout}s` : result.code === -1 ? 'was killed' : `exited with code ${result.code}`;
        const output = timedOut ? '' : stderr || stdout;
        throw new ModuleFailure(`${what} ${why}${output ? `: ${tail(output, 2000)}` : ''}`, { rc: result.code, stdout, stderr });
      }
      return { data };
    },
  };
}

/** Run a program with literal arguments (no shell); changed unless a creates/removes guard says it already ran. */
export const command = defineModule({
  name: 'command',
  args: CommandArgs,
  plan(ctx, args) {
    const program = args.argv[0] ?? '';
    if (program === '' || program.startsWith('-')) throw new ModuleFailure(`argv[0] must name a program, got "${program}"`);
    const quoted = args.argv.map(shq).join(' ');
    return planRun(ctx, { ...args, line: quoted, display: quoted, cmd: args.argv });
  },
});
