import { Type } from '@sinclair/typebox';
import { defineModule, ModuleFailure } from '../engine/module.ts';
import { Enum } from '../engine/schema.ts';
import { attributeArgs, parseMode, planEdit, type Edit } from './file-state.ts';
import { expandMatch, pythonRegex } from './template-helpers.ts';

export const LineinfileArgs = Type.Object(
  {
    path: Type.String({ pattern: '^/', description: 'absolute path of the file to edit' }),
    line: Type.Optional(Type.String({ description: 'the line to have in the file (present), or to remove (absent)' })),
    regexp: Type.Optional(
      Type.String({ description: 'Python-style regex: the last matching line is replaced (present) or every one removed (absent)' }),
    ),
    insertafter: Type.Optional(Type.String({ description: "regex, or 'EOF' (the default)" })),
    insertbefore: Type.Optional(Type.String({ description: "regex, or 'BOF'" })),
    state: Type.Optional(Enum(['present', 'absent'])),
    create: Type.Optional(Type.Boolean({ description: 'create the file (and its directory) when missing' })),
    backrefs: Type.Optional(Type.Boolean({ description: 'expand \\1 and \\g<name> in line from the regexp match; no match means no change' })),
    firstmatch: Type.Optional(Type.Boolean({ description: 'use the first match of regexp/insertafter/insertbefore instead of the last' })),
    ...attributeArgs,
    backup: Type.Optional(Type.Boolean()),
    validate: Type.Optional(Type.String({ pattern: '%s' })),
    follow: Type.Optional(
      Type.Boolean({ description: 'edit the target of a symlink at path even where someone other than root could have planted it' }),
    ),
  },
  {
    additionalProperties: false,
    allOf: [
      {
        if: { properties: { state: { const: 'absent' } }, required: ['state'] },
        then: { anyOf: [{ required: ['line'] }, { required: ['regexp'] }] },
        else: { required: ['line'] },
      },
      { if: { properties: { backrefs: { const: true } }, required: ['backrefs'] }, then: { required: ['regexp'] } },
    ],
  },
);

export interface LineSpec {
  line?: string;
  regexp?: RegExp;
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

/** Split text into lines that keep their '\n', as Python's readlines does. */
export const splitLines = (text: string): string[] => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];

const content = (line: string): string => line.replace(/\n$/, '');

/** Ansible's lineinfile state=present on a file's lines: replace the last regexp match, else insert. */
export function ensureLine(lines: string[], spec: LineSpec & { line: string }): { lines: string[]; msg: string } {
  const out = [...lines];
  const { line, regexp, backrefs, firstmatch } = spec;
  const insertafter = spec.insertafter ?? (spec.insertbefore === undefined ? 'EOF' : undefined);
  const insertbefore = spec.insertbefore;
  const insertRe =
    insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF'
      ? pythonRegex(insertafter)
      : insertbefore !== undefined && insertbefore !== 'BOF'
        ? pythonRegex(insertbefore)
        : undefined;

  let found = -1;
  let insertAt = -1;
  let match: RegExpExecArray | null = null;
  if (regexp) {
    for (let i = 0; i < out.length; i++) {
      const m = regexp.exec(content(out[i]!));
      if (m) {
        [found, match] = [i, m];
        if (firstmatch) break;
      }
    }
  }
  if (!match) {
    for (let i = 0; i < out.length; i++) {
      if (content(out[i]!) === line) {
        found = i;
      } else if (insertRe?.test(content(out[i]!))) {
        insertAt = insertafter !== undefined ? i + 1 : i;
        if (firstmatch) break;
      }
    }
  }

  const added = { lines: out, msg: 'line added' };
  const endsOpen = () => out.length > 0 && !out[out.length - 1]!.endsWith('\n');
  if (found !== -1) {
    const text = backrefs && match ? expandMatch(line, match) : line;
    const wanted = text.endsWith('\n') ? text : `${text}\n`;
    if (out[found] === wanted) return { lines: out, msg: '' };
    out[found] = wanted;
    return { lines: out, msg: 'line replaced' };
  }
  if (backrefs) return { lines: out, msg: '' };
  if (insertbefore === 'BOF' || insertafter === 'BOF') {
    out.unshift(`${line}\n`);
    return added;
  }
  // Appending, or inserting after the last line, first ends an unterminated last line.
  if (endsOpen() && (insertAt === -1 || insertAt === out.length)) out[out.length - 1] += '\n';
  if (insertafter === 'EOF' || insertAt === -1) out.push(`${line}\n`);
  else out.splice(insertAt, 0, `${line}\n`);
  return added;
}

/** Ansible's lineinfile state=absent: drop every line matching regexp, or equal to line. */
export function removeLines(lines: string[], spec: { line?: string; regexp?: RegExp }): { lines: string[]; found: number } {
  const kept = lines.filter((l) => !(spec.regexp ? spec.regexp.test(content(l)) : content(l) === spec.line));
  return { lines: kept, found: lines.length - kept.length };
}

function compile(pattern: string | undefined, what: string): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return pythonRegex(pattern);
  } catch (error) {
    throw new ModuleFailure(`${what}: ${(error as Error).message}`);
  }
}

/** Make sure a line is in a file (replacing the last line a regexp matches) or is not; the file is read once. */
export const lineinfile = defineModule({
  name: 'lineinfile',
  concurrentPlans: true,
  args: LineinfileArgs,
  async plan(ctx, args) {
    if (args.insertafter !== undefined && args.insertbefore !== undefined) {
      throw new ModuleFailure('insertafter and insertbefore are mutually exclusive');
    }
    const regexp = compile(args.regexp, 'regexp');
    compile(args.insertafter === 'EOF' || args.insertafter === 'BOF' ? undefined : args.insertafter, 'insertafter');
    compile(args.insertbefore === 'BOF' ? undefined : args.insertbefore, 'insertbefore');
    const spec = { ...args, regexp };
    const edit = (text: string | undefined): Edit => {
      const lines = splitLines(text ?? '');
      if (args.state === 'absent') {
        const { lines: kept, found } = removeLines(lines, spec);
        return { text: kept.join(''), what: `${found} line(s) removed`, data: { found } };
      }
      const { lines: edited, msg } = ensureLine(lines, { ...spec, line: args.line! });
      // A missing file with nothing to add stays missing (backrefs without a match).
      return { text: text === undefined && !msg ? undefined : edited.join(''), what: msg };
    };
    return planEdit(ctx, { ...args, mode: parseMode(args.mode) }, edit);
  },
});
