import { describe, expect, it } from 'vitest';
import { DEFAULT_MARKER, editBlock, type BlockSpec } from '../../modules/blockinfile.ts';

const spec = (over: Partial<BlockSpec> = {}): BlockSpec => ({
  block: 'a = 1',
  marker: DEFAULT_MARKER,
  begin: 'BEGIN',
  end: 'END',
  present: true,
  ...over,
});
const BLOCK = '# BEGIN MANAGED BY PIGSTY\na = 1\n# END MANAGED BY PIGSTY\n';

describe('blockinfile semantics (Ansible)', () => {
  it('creates a file holding the block, and appends it at EOF by default', () => {
    expect(editBlock(undefined, spec())).toEqual({ text: BLOCK, msg: 'file created' });
    expect(editBlock('x\ny', spec())).toEqual({ text: `x\ny\n${BLOCK}`, msg: 'block inserted' });
  });

  it('replaces the block between the markers in place, and is unchanged when equal', () => {
    const text = `top\n${BLOCK}bottom\n`;
    expect(editBlock(text, spec())).toEqual({ text, msg: '' });
    expect(editBlock(text, spec({ block: 'a = 2\nb = 3\n' })).text).toBe(
      'top\n# BEGIN MANAGED BY PIGSTY\na = 2\nb = 3\n# END MANAGED BY PIGSTY\nbottom\n',
    );
  });

  it('removes the block with state absent or an empty block', () => {
    expect(editBlock(`top\n${BLOCK}bottom\n`, spec({ present: false }))).toEqual({ text: 'top\nbottom\n', msg: 'block removed' });
    expect(editBlock(`top\n${BLOCK}`, spec({ block: '' }))).toEqual({ text: 'top\n', msg: 'block removed' });
    expect(editBlock('top\n', spec({ present: false }))).toEqual({ text: 'top\n', msg: '' });
  });

  it('inserts after or before the last line matching a regex, at BOF, or at EOF when nothing matches', () => {
    const text = '[a]\n[b]\nend\n';
    expect(editBlock(text, spec({ insertafter: '^\\[' })).text).toBe(`[a]\n[b]\n${BLOCK}end\n`);
    expect(editBlock(text, spec({ insertbefore: '^\\[' })).text).toBe(`[a]\n${BLOCK}[b]\nend\n`);
    expect(editBlock(text, spec({ insertbefore: 'BOF' })).text).toBe(`${BLOCK}${text}`);
    expect(editBlock(text, spec({ insertafter: '^nomatch' })).text).toBe(`${text}${BLOCK}`);
  });

  it('searches the whole text with a (?m) regex', () => {
    expect(editBlock('a\nb\nc\n', spec({ insertafter: '(?m)^a\\nb$' })).text).toBe(`a\nb\n${BLOCK}c\n`);
  });

  it('uses custom markers and marker words', () => {
    const r = editBlock('', spec({ marker: '<!-- {mark} pigsty -->', begin: 'START', end: 'STOP' }));
    expect(r.text).toBe('<!-- START pigsty -->\na = 1\n<!-- STOP pigsty -->\n');
  });
});
