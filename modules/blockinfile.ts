import { Type } from '@sinclair/typebox';
import { defineModule, ModuleFailure } from '../engine/module.ts';
import { Enum } from '../engine/schema.ts';
import { attributeArgs, parseMode, planEdit } from './file-state.ts';
import { pythonRegex } from './template-helpers.ts';

export const BlockinfileArgs = Type.Object(
  {
    path: Type.String({ pattern: '^/', description: 'absolute path of the file to edit' }),
    block: Type.Optional(Type.String({ description: 'the lines between the markers; empty removes the block' })),
    marker: Type.Optional(Type.String({ pattern: '\\{mark\\}', description: 'the marker line; {mark} becomes marker_begin / marker_end' })),
    marker_begin: Type.Optional(Type.String({ minLength: 1 })),
    marker_end: Type.Optional(Type.String({ minLength: 1 })),
    insertafter: Type.Optional(
      Type.String({ description: "where a new block goes: after the last line matching this regex, or 'EOF' (the default)" }),
    ),
    insertbefore: Type.Optional(Type.String({ description: "before the last line matching this regex, or 'BOF'" })),
    state: Type.Optional(Enum(['present', 'absent'])),
    create: Type.Optional(Type.Boolean({ description: 'create the file (and its directory) when missing' })),
    ...attributeArgs,
    backup: Type.Optional(Type.Boolean()),
    validate: Type.Optional(Type.String({ pattern: '%s' })),
    follow: Type.Optional(
      Type.Boolean({ description: 'edit the target of a symlink at path even where someone other than root could have planted it' }),
    ),
  },
  { additionalProperties: false },
);

export const DEFAULT_MARKER = '# {mark} MANAGED BY PIGSTY';

export interface BlockSpec {
  block: string;
  marker: string;
  begin: string;
  end: string;
  present: boolean;
  insertafter?: string;
  insertbefore?: string;
}

/** Split as Python's bytes.splitlines(keepends): at \n, \r\n and \r. */
const splitKeep = (text: string): string[] => text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];

/**
 * Ansible's blockinfile on a file's text (undefined when missing): replace the block between the markers, or
 * insert it after/before the last line matching a regex (a (?m) regex searches the whole text), or remove it.
 */
export function editBlock(text: string | undefined, spec: BlockSpec): { text: string; msg: string } {
  const lines = splitKeep(text ?? '');
  const begin = `${spec.marker.split('{mark}').join(spec.begin)}\n`;
  const end = `${spec.marker.split('{mark}').join(spec.end)}\n`;
  let body = spec.block;
  if (body && !body.endsWith('\n')) body += '\n';
  const blockLines = spec.present && body ? [begin, ...splitKeep(body), end] : [];

  let n0 = lines.lastIndexOf(begin);
  const n1 = lines.lastIndexOf(end);
  if (n0 === -1 || n1 === -1) {
    const insertafter = spec.insertafter ?? (spec.insertbefore === undefined ? 'EOF' : undefined);
    const pattern =
      insertafter !== undefined ? (insertafter === 'EOF' ? undefined : insertafter) : spec.insertbefore === 'BOF' ? undefined : spec.insertbefore;
    if (pattern !== undefined) {
      const re = pythonRegex(pattern);
      let at: number | undefined;
      if (re.multiline) {
        const m = re.exec(text ?? '');
        if (m) at = (text ?? '').slice(0, insertafter !== undefined ? m.index + m[0].length : m.index).split('\n').length - 1;
      } else {
        lines.forEach((line, i) => {
          if (re.test(line.replace(/\r?\n$|\r$/, ''))) at = i;
        });
      }
      n0 = at === undefined ? lines.length : insertafter !== undefined ? at + 1 : at;
    } else {
      n0 = insertafter === undefined ? 0 : lines.length;
    }
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  if (n0 > 0 && !lines[n0 - 1]!.endsWith('\n')) lines[n0 - 1] += '\n';
  lines.splice(n0, 0, ...blockLines);
  const result = lines.join('');
  const msg = result === text ? '' : text === undefined ? 'file created' : blockLines.length ? 'block inserted' : 'block removed';
  return { text: result, msg };
}

/** Keep a marked block of lines in a file (or remove it); the file is read once. */
export const blockinfile = defineModule({
  name: 'blockinfile',
  concurrentPlans: true,
  args: BlockinfileArgs,
  async plan(ctx, args) {
    if (args.insertafter !== undefined && args.insertbefore !== undefined) {
      throw new ModuleFailure('insertafter and insertbefore are mutually exclusive');
    }
    for (const [name, pattern] of [
      ['insertafter', args.insertafter],
      ['insertbefore', args.insertbefore],
    ] as const) {
      if (pattern === undefined || pattern === 'EOF' || pattern === 'BOF') continue;
      try {
        pythonRegex(pattern);
      } catch (error) {
        throw new ModuleFailure(`${name}: ${(error as Error).message}`);
      }
    }
    const spec: BlockSpec = {
      block: args.block ?? '',
      marker: args.marker ?? DEFAULT_MARKER,
      begin: args.marker_begin ?? 'BEGIN',
      end: args.marker_end ?? 'END',
      present: args.state !== 'absent',
      insertafter: args.insertafter,
      insertbefore: args.insertbefore,
    };
    return planEdit(ctx, { ...args, mode: parseMode(args.mode) }, (text) => {
      const { text: edited, msg } = editBlock(text, spec);
      return { text: edited, what: msg };
    });
  },
});
