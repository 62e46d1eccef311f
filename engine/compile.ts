import type { FlushHandlers, Play, Playbook, Role, RoleUse, Task, TaskItem } from './dsl.ts';
import type { Vars } from './inventory-types.ts';
import { schemaDefaults } from './schema.ts';

type AnyVars = Record<string, unknown>;
type Condition = (v: AnyVars) => boolean;

/** A task with everything inherited from its play, role and includes resolved. */
export interface CompiledTask {
  /** Position in the play, for --start-at-task and event ids. */
  index: number;
  name: string;
  /** "role : name", as Ansible prints it. */
  title: string;
  role: string | undefined;
  tags: string[];
  /** Selected whatever the tag selection and --start-at-task say (see TaskOptions.guard). */
  guard: boolean;
  /** All conditions from the role use, includes and the task itself; all must hold. */
  when: Condition[];
  task: Task<AnyVars>;
}

export type CompiledStep = { kind: 'task'; task: CompiledTask } | FlushHandlers;

export interface CompiledPlay {
  index: number;
  name: string;
  hosts: string;
  play: Play;
  steps: CompiledStep[];
  handlers: CompiledTask[];
  /** The schema's parameter defaults, then role defaults of every role in the play, later roles winning. */
  defaults: Vars;
  /** Role vars of every role in the play, later roles winning. */
  roleVars: Vars;
}

function isRoleUse(entry: Role<never> | RoleUse): entry is RoleUse {
  return 'role' in entry && typeof (entry as RoleUse).role === 'object';
}

function union(a: readonly string[], b: readonly string[] | undefined): string[] {
  return [...new Set([...a, ...(b ?? [])])];
}

/** Flatten a playbook into plays of ordered steps; tags and conditions flow down into included tasks. */
export function compilePlaybook(playbook: Playbook): CompiledPlay[] {
  return playbook.plays.map((play, playIndex) => {
    const steps: CompiledStep[] = [];
    const handlers: CompiledTask[] = [];
    let defaults: Vars = schemaDefaults(playbook.schema);
    let roleVars: Vars = {};
    const playTags = play.tags ?? [];
    let counter = 0;

    const walk = (items: TaskItem<AnyVars>[], role: string | undefined, tags: string[], when: Condition[]): void => {
      for (const item of items) {
        if (item.kind === 'flush_handlers') {
          steps.push(item);
        } else if (item.kind === 'include') {
          walk(item.tasks, role, union(tags, item.tags), item.when ? [...when, item.when] : when);
        } else {
          steps.push({ kind: 'task', task: compileTask(item, counter++, role, tags, when) });
        }
      }
    };

    for (const entry of play.roles ?? []) {
      const use: RoleUse = isRoleUse(entry) ? entry : { role: entry };
      const role = use.role as unknown as Role<AnyVars>;
      defaults = { ...defaults, ...(role.defaults ?? {}) };
      roleVars = { ...roleVars, ...(role.vars ?? {}) };
      const roleTags = union(playTags, use.tags);
      const roleWhen = use.when ? [use.when as unknown as Condition] : [];
      walk(role.tasks, role.name, roleTags, roleWhen);
      for (const handler of role.handlers ?? []) handlers.push(compileTask(handler, -1, role.name, roleTags, []));
    }
    walk((play.tasks ?? []) as TaskItem<AnyVars>[], undefined, playTags, []);

    return { index: playIndex, name: play.name, hosts: play.hosts, play, steps, handlers, defaults, roleVars };
  });
}

function compileTask(task: Task<AnyVars>, index: number, role: string | undefined, tags: string[], when: Condition[]): CompiledTask {
  return {
    index,
    name: task.name,
    title: role ? `${role} : ${task.name}` : task.name,
    role,
    tags: union(tags, task.tags),
    guard: task.guard === true,
    when: task.when ? [...when, task.when] : when,
    task,
  };
}

/** Every task of a compiled play, in order, without the flush markers. */
export function tasksOf(play: CompiledPlay): CompiledTask[] {
  return play.steps.flatMap((s) => (s.kind === 'task' ? [s.task] : []));
}
