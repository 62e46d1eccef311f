import type { Task, TaskItem } from '../../engine/dsl.ts';
import type { RoleVars } from '../../roles/vars.ts';

/** Every task of a role's task list, includes flattened, by name. */
export function tasksOf<V = RoleVars>(items: readonly unknown[]): Map<string, Task<V>> {
  const found = new Map<string, Task<V>>();
  const walk = (list: readonly TaskItem<V>[]) => {
    for (const item of list) {
      if (item.kind === 'include') walk(item.tasks);
      else if (item.kind === 'task') found.set(item.name, item);
    }
  };
  walk(items as TaskItem<V>[]);
  return found;
}
