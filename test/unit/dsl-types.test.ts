import { describe, expect, it } from 'vitest';
import { compilePlaybook, tasksOf } from '../../engine/compile.ts';
import { dsl } from '../../engine/dsl.ts';
import { copy } from '../../modules/copy.ts';
import type { RoleVars } from '../../roles/vars.ts';

const { task, role } = dsl<RoleVars>();

// These lines are checked by `tsc --noEmit` in the test command: if a misspelled variable or a
// wrong argument type ever compiles, the @ts-expect-error markers themselves become errors.
const typed = role({
  name: 'typed',
  tasks: [
    task('reads a known parameter', copy, (v) => ({ dest: '/etc/pg-version', content: String(v.pg_version) })),
    // @ts-expect-error pg_verison is not a Pigsty parameter
    task('reads a misspelled parameter', copy, (v) => ({ dest: '/etc/x', content: String(v.pg_verison) })),
    // @ts-expect-error copy's mode is an octal string or a number, not a boolean
    task('passes a wrong argument type', copy, { dest: '/etc/x', content: '', mode: true }),
  ],
});

describe('the typed DSL', () => {
  it('computes arguments from the host variables at run time', () => {
    const [play] = compilePlaybook({ name: 'p', description: 'd', plays: [{ name: 'P', hosts: 'all', roles: [typed] }] });
    const first = tasksOf(play!)[0]!.task.args as (v: unknown, item: unknown) => { content: string };
    expect(first({ pg_version: 15 }, undefined).content).toBe('15');
  });
});
