import { describe, expect, it } from 'vitest';
import { ensureLine, removeLines, splitLines } from '../../modules/lineinfile.ts';
import { pythonRegex } from '../../modules/template-helpers.ts';

const present = (text: string, spec: Parameters<typeof ensureLine>[1]) => {
  const r = ensureLine(splitLines(text), spec);
  return [r.lines.join(''), r.msg];
};

describe('lineinfile semantics (Ansible)', () => {
  it('splits lines keeping newlines, and an unterminated last line', () => {
    expect(splitLines('a\nb\n')).toEqual(['a\n', 'b\n']);
    expect(splitLines('a\n\nb')).toEqual(['a\n', '\n', 'b']);
    expect(splitLines('')).toEqual([]);
  });

  it('appends a missing line at EOF, ending an unterminated last line first', () => {
    expect(present('', { line: 'x' })).toEqual(['x\n', 'line added']);
    expect(present('a\nb', { line: 'x' })).toEqual(['a\nb\nx\n', 'line added']);
    expect(present('a\nx\nb\n', { line: 'x' })).toEqual(['a\nx\nb\n', '']);
  });

  it('replaces the last line the regexp matches, or the first with firstmatch', () => {
    const text = 'port = 1\n# c\nport = 2\n';
    expect(present(text, { line: 'port = 5', regexp: /^port\s*=/ })).toEqual(['port = 1\n# c\nport = 5\n', 'line replaced']);
    expect(present(text, { line: 'port = 5', regexp: /^port\s*=/, firstmatch: true })).toEqual(['port = 5\n# c\nport = 2\n', 'line replaced']);
    expect(present('port = 5\n', { line: 'port = 5', regexp: /^port/ })).toEqual(['port = 5\n', '']);
  });

  it('with a regexp that matches nothing, keeps an exact line or inserts', () => {
    expect(present('a\nx\n', { line: 'x', regexp: /^y/ })).toEqual(['a\nx\n', '']);
    expect(present('a\n', { line: 'x', regexp: /^y/ })).toEqual(['a\nx\n', 'line added']);
  });

  it('inserts after or before the last line matching insertafter/insertbefore, BOF and EOF', () => {
    const text = '[a]\nk=1\n[b]\nk=2\n';
    expect(present(text, { line: 'n=0', insertafter: '^\\[' })).toEqual(['[a]\nk=1\n[b]\nn=0\nk=2\n', 'line added']);
    expect(present(text, { line: 'n=0', insertafter: '^\\[', firstmatch: true })).toEqual(['[a]\nn=0\nk=1\n[b]\nk=2\n', 'line added']);
    expect(present(text, { line: 'n=0', insertbefore: '^\\[' })).toEqual(['[a]\nk=1\nn=0\n[b]\nk=2\n', 'line added']);
    expect(present(text, { line: 'n=0', insertbefore: 'BOF' })).toEqual(['n=0\n' + text, 'line added']);
    expect(present(text, { line: 'n=0', insertafter: '^nomatch' })).toEqual([text + 'n=0\n', 'line added']);
    expect(present('a\nb', { line: 'n', insertafter: '^b' })).toEqual(['a\nb\nn\n', 'line added']);
  });

  it('expands backrefs from the match and changes nothing without one', () => {
    expect(present('listen = 1.2.3.4:5432\n', { line: 'listen = \\1:6432', regexp: /^listen = ([\d.]+):\d+$/, backrefs: true })).toEqual([
      'listen = 1.2.3.4:6432\n',
      'line replaced',
    ]);
    expect(present('other\n', { line: '\\1', regexp: /^(x)$/, backrefs: true })).toEqual(['other\n', '']);
    expect(present('a b\n', { line: '\\g<second> \\g<first>', regexp: pythonRegex('(?P<first>\\w) (?P<second>\\w)'), backrefs: true })).toEqual([
      'b a\n',
      'line replaced',
    ]);
  });

  it('removes every line equal to line, or every line the regexp matches', () => {
    const lines = splitLines('10.0.0.1 a # pigsty dns\nkeep\n10.0.0.2 b # pigsty dns\n');
    expect(removeLines(lines, { regexp: /# pigsty dns$/ })).toEqual({ lines: ['keep\n'], found: 2 });
    expect(removeLines(lines, { line: 'keep' })).toEqual({ lines: [lines[0], lines[2]], found: 1 });
    expect(removeLines(lines, { line: 'nope' }).found).toBe(0);
  });
});
