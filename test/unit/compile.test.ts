import { describe, expect, it } from 'vitest';
import { compilePlaybook, tasksOf } from '../../engine/compile.ts';
import { dsl, type Playbook } from '../../engine/dsl.ts';
import { debug } from '../../modules/debug.ts';

interface V {
  pg_role: string;
  enabled: boolean;
}
const { task, include, role, flushHandlers } = dsl<V>();

const inner = [task('inner one', debug, { msg: 'a' }, { tags: ['inner'] }), task('inner two', debug, { msg: 'b' })];
const pgsql = role({
  name: 'pgsql',
  defaults: { enabled: true },
  vars: { pg_dbsu: 'postgres' },
  tasks: [task('top', debug, { msg: 't' }, { tags: ['top'] }), include('hba', inner, { tags: ['pg_hba'], when: (v) => v.enabled }), flushHandlers()],
  handlers: [task('reload', debug, { msg: 'r' })],
});
const book: Playbook = {
  name: 'pb',
  description: 'test',
  plays: [{ name: 'PGSQL', hosts: 'all', tags: ['pgsql'], roles: [{ role: pgsql, tags: ['pg-role'], when: (v: V) => v.pg_role === 'primary' }] }],
};

describe('compiling a playbook', () => {
  const [play] = compilePlaybook(book);

  it('inherits play, role and include tags into every task, included ones too', () => {
    const tasks = tasksOf(play!);
    expect(tasks.map((t) => t.title)).toEqual(['pgsql : top', 'pgsql : inner one', 'pgsql : inner two']);
    expect(tasks[0]!.tags).toEqual(['pgsql', 'pg-role', 'top']);
    expect(tasks[1]!.tags).toEqual(['pgsql', 'pg-role', 'pg_hba', 'inner']);
    expect(tasks[2]!.tags).toEqual(['pgsql', 'pg-role', 'pg_hba']);
  });

  it('chains role and include conditions onto included tasks', () => {
    const [, innerOne] = tasksOf(play!);
    expect(innerOne!.when).toHaveLength(2);
    expect(innerOne!.when.every((c) => c({ pg_role: 'primary', enabled: true }))).toBe(true);
    expect(innerOne!.when.every((c) => c({ pg_role: 'primary', enabled: false }))).toBe(false);
    expect(innerOne!.when.every((c) => c({ pg_role: 'replica', enabled: true }))).toBe(false);
  });

  it('keeps flush markers in place, collects handlers, defaults and role vars', () => {
    expect(play!.steps.map((s) => s.kind)).toEqual(['task', 'task', 'task', 'flush_handlers']);
    expect(play!.handlers.map((h) => h.title)).toEqual(['pgsql : reload']);
    expect(play!.defaults).toEqual({ enabled: true });
    expect(play!.roleVars).toEqual({ pg_dbsu: 'postgres' });
  });
});

describe('compiling a guard', () => {
  it('marks the task a guard and no other', () => {
    const book: Playbook = {
      name: 'g',
      description: 'test',
      plays: [{ name: 'P', hosts: 'all', tasks: [task('check', debug, { msg: 'c' }, { guard: true }), task('act', debug, { msg: 'a' })] }],
    };
    expect(tasksOf(compilePlaybook(book)[0]!).map((t) => [t.name, t.guard])).toEqual([
      ['check', true],
      ['act', false],
    ]);
  });
});
