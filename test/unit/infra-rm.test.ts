import { describe, expect, it } from 'vitest';
import type { Task } from '../../engine/dsl.ts';
import { INFRA_DATA_ENTRIES, removeTasks } from '../../roles/infra_remove/tasks/remove.ts';
import { infraRm } from '../../playbooks/infra-rm.ts';
import { pgHost } from './role-host.ts';
import { tasksOf } from './role-tasks.ts';
import type { RoleVars } from '../../roles/vars.ts';

const tasks = tasksOf(removeTasks);
const argsOf = (task: Task<RoleVars> | undefined, item?: unknown): Record<string, unknown> => {
  const args = task?.args;
  return (
    typeof args === 'function' ? (args as (v: unknown, i: unknown) => Record<string, unknown>)(pgHost({ infra_data: '/data' }), item) : args
  ) as Record<string, unknown>;
};

describe('infra-rm', () => {
  it("removes only what the infra role made under infra_data, which may hold PostgreSQL's and etcd's data too", () => {
    const remove = tasks.get('remove the infra data');
    expect(remove?.loop).toEqual(INFRA_DATA_ENTRIES);
    expect(INFRA_DATA_ENTRIES.map((e) => argsOf(remove, e).path)).toEqual(INFRA_DATA_ENTRIES.map((e) => `/data/${e}`));
    expect(INFRA_DATA_ENTRIES).not.toContain('postgres');
    expect(argsOf(tasks.get('remove the infra data directory when nothing else is in it')).cmd).toBe(
      'if [ -d /data ] && rmdir -- /data 2>/dev/null; then echo removed; fi',
    );
  });

  it('needs -l and removes the /infra link itself, not what it points to', () => {
    expect(infraRm.requiresLimit).toBe(true);
    expect(argsOf(tasks.get('remove the /infra link'))).toEqual({ path: '/infra', state: 'absent' });
  });
});
