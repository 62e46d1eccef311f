import { dirname } from 'node:path';
import { dsl, type TaskItem } from '../engine/dsl.ts';
import { copy } from '../modules/copy.ts';
import { file } from '../modules/file.ts';

/** A drop-in of a Debian unit: /etc/systemd/system/<unit>.service.d/<file>, read after the packaged unit. */
export const dropInPath = (unit: string, name = 'pigsty.conf'): string => `/etc/systemd/system/${unit}.service.d/${name}`;

/** One drop-in file: its path, what the tasks are called, its text (a file of the role's files/, or content). */
export interface DropIn<V> {
  path: string;
  /** The unit's name in the directory task's name, e.g. 'VictoriaMetrics'. */
  what: string;
  /** The name of the task writing the file: what the drop-in changes. */
  name: string;
  source: { src: string } | { content: string };
  tags: string[];
  register: string;
  when?: (v: V) => boolean;
}

/** The drop-in's directory, then the file itself (root's, 0644); the register tells whether the unit needs a daemon-reload. */
export function dropInTasks<V>(d: DropIn<V>): TaskItem<V>[] {
  const { task } = dsl<V>();
  const when = d.when ? { when: d.when } : {};
  return [
    task(
      `create the ${d.what} unit drop-in directory`,
      file,
      { path: dirname(d.path), state: 'directory', owner: 'root', group: 'root', mode: '0755' },
      { tags: d.tags, ...when },
    ),
    task(d.name, copy, { ...d.source, dest: d.path, owner: 'root', group: 'root', mode: '0644' }, { tags: d.tags, register: d.register, ...when }),
  ];
}
