import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EngineError } from './errors.ts';
import { hostsOf } from './inventory.ts';
import type { Inventory } from './inventory-types.ts';

/** Hosts a pattern selects, in inventory order, and the terms that matched nothing. */
export interface PatternResult {
  hosts: string[];
  unmatched: string[];
}

export interface PatternOptions {
  /** Directory that `@file` terms are relative to; defaults to the process's. */
  cwd?: string;
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)[:-]([0-9]*))\]$/;

/** Resolve an Ansible host pattern (as in `hosts:` or `--limit`) against an inventory. */
export function resolvePattern(inv: Inventory, pattern: string, opts: PatternOptions = {}): PatternResult {
  const terms = patternTerms(pattern, opts);
  if (terms.length === 0) {
    throw new EngineError(`host pattern "${pattern}" has no terms`, {}, 'a group, a host, or a pattern such as all:!pg-test');
  }
  let selected = new Set<string>();
  const unmatched: string[] = [];
  for (const term of orderTerms(terms)) {
    const op = term[0] === '!' || term[0] === '&' ? term[0] : '';
    const body = term.slice(op.length);
    if (body === '') throw new EngineError(`"${op}" in host pattern "${pattern}" is not followed by a name`, {}, `${op}<group or host>`);
    const match = matchTerm(inv, body, pattern);
    if (!match.matched && body !== 'all') unmatched.push(term);
    if (op === '!') {
      for (const h of match.hosts) selected.delete(h);
    } else if (op === '&') {
      const keep = new Set(match.hosts);
      selected = new Set([...selected].filter((h) => keep.has(h)));
    } else {
      for (const h of match.hosts) selected.add(h);
    }
  }
  return { hosts: [...inv.hosts.keys()].filter((h) => selected.has(h)), unmatched };
}

/** A pattern's terms as written, each `@file` replaced by the file's lines (one term each). */
export function patternTerms(pattern: string, opts: PatternOptions = {}): string[] {
  return splitPattern(pattern).flatMap((t) => (t.startsWith('@') ? readPatternFile(t.slice(1), opts.cwd ?? process.cwd()) : [t]));
}

/** The hosts of a play that a `--limit` pattern keeps, in the play's order. */
export function applyLimit(inv: Inventory, hosts: string[], limit: string, opts: PatternOptions = {}): string[] {
  const allowed = new Set(resolvePattern(inv, limit, opts).hosts);
  return hosts.filter((h) => allowed.has(h));
}

/** Terms separated by commas, colons or spaces; a bracketed subscript or character class stays whole. */
function splitPattern(pattern: string): string[] {
  return pattern.match(/(?:[^\s,:[\]]|\[[^\]]*\])+/g) ?? [];
}

function readPatternFile(name: string, cwd: string): string[] {
  const file = resolve(cwd, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EngineError(`cannot read host pattern file: ${(e as Error).message}`, { file }, 'a file with one host pattern per line');
  }
  // Each line is one term and is not split further, as in Ansible.
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) throw new EngineError('host pattern file is empty', { file }, 'a file with one host pattern per line');
  return lines;
}

/** Ansible's order: plain terms (or `all` when there are none), then intersections, then exclusions. */
function orderTerms(terms: string[]): string[] {
  const plain = terms.filter((t) => t[0] !== '!' && t[0] !== '&');
  return [...(plain.length ? plain : ['all']), ...terms.filter((t) => t[0] === '&'), ...terms.filter((t) => t[0] === '!')];
}

function matchTerm(inv: Inventory, term: string, pattern: string): { hosts: string[]; matched: boolean } {
  if (inv.hosts.has(term)) return { hosts: [term], matched: true };
  const sub = term.startsWith('~') ? null : SUBSCRIPT.exec(term);
  const expr = sub ? (sub[1] as string) : term;
  const test = compile(expr, pattern);
  const groups = [...inv.groups.keys()].filter(test);
  const hosts = new Set(groups.flatMap((g) => hostsOf(inv, g)));
  // Like Ansible, a name that is a group is not also tried as a host unless it is a regex or glob.
  if (groups.length === 0 || /^~|[.?*[]/.test(expr)) for (const h of inv.hosts.keys()) if (test(h)) hosts.add(h);
  const matched = groups.length > 0 || hosts.size > 0;
  return { hosts: sub ? subscript([...hosts], sub, term) : [...hosts], matched };
}

/** Ansible's subscripts: `[i]` one host (negative counts from the end), `[a:b]` inclusive, `[a:]` to the end. */
function subscript(hosts: string[], sub: RegExpExecArray, term: string): string[] {
  const [, , index, start, end] = sub;
  if (index !== undefined) {
    const i = Number(index);
    const host = hosts.at(i);
    if (host === undefined) {
      if (hosts.length === 0) return [];
      throw new EngineError(`no host at index ${i} in "${term}"`, {}, `an index from ${-hosts.length} to ${hosts.length - 1}`);
    }
    return [host];
  }
  const last = end === '' || end === undefined ? hosts.length - 1 : Number(end);
  return hosts.slice(Number(start), last + 1);
}

function compile(expr: string, pattern: string): (name: string) => boolean {
  const source = expr.startsWith('~') ? `^(?:${expr.slice(1)})` : globToRegex(expr);
  try {
    const re = new RegExp(source);
    return (name) => re.test(name);
  } catch (e) {
    throw new EngineError(
      `invalid term "${expr}" in host pattern "${pattern}": ${(e as Error).message}`,
      {},
      'a valid regular expression after ~, or a glob',
    );
  }
}

/** Python's fnmatch: `*`, `?`, `[set]`, `[!set]`, anchored at both ends, case-sensitive. */
function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        out += '\\[';
        continue;
      }
      const set = glob.slice(i + 1, j);
      const negated = set.startsWith('!');
      const members = (negated ? set.slice(1) : set).replace(/[\\\]^[]/g, '\\$&');
      out += `[${negated ? '^' : ''}${members}]`;
      i = j;
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return `^${out}$`;
}
