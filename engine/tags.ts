/** The tag selection of a run: -t/--tags and --skip-tags. */
export interface TagSelection {
  /** Empty means all tasks (Ansible's default `all`). */
  only: string[];
  skip: string[];
}

/**
 * Ansible's rules for whether a task with these (already inherited) tags runs:
 * `always` runs unless skipped by name; `never` runs only when one of its tags is asked for;
 * `tagged` and `untagged` select by whether a task has any tag at all.
 */
export function selectedByTags(taskTags: readonly string[], selection: TagSelection): boolean {
  const tags = new Set(taskTags);
  const only = selection.only.filter((t) => t !== 'all');
  const askedAll = selection.only.length === 0 || selection.only.includes('all');
  const plain = [...tags].filter((t) => t !== 'always' && t !== 'never');

  if (selection.skip.some((t) => tags.has(t))) return false;
  if (selection.skip.includes('tagged') && plain.length > 0) return false;
  if (selection.skip.includes('untagged') && tags.size === 0) return false;

  if (tags.has('never')) {
    return only.includes('never') || plain.some((t) => only.includes(t));
  }
  if (tags.has('always')) return true;
  if (askedAll) return true;
  if (only.includes('tagged') && plain.length > 0) return true;
  if (only.includes('untagged') && tags.size === 0) return true;
  return plain.some((t) => only.includes(t));
}

/** Whether a compiled task runs under a tag selection: a guard always does, any other by its tags. */
export function taskSelected(task: { tags: readonly string[]; guard: boolean }, selection: TagSelection): boolean {
  return task.guard || selectedByTags(task.tags, selection);
}
