import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePlaybook, tasksOf } from '../../engine/compile.ts';
import type { Connection } from '../../engine/connection/types.ts';
import { dsl } from '../../engine/dsl.ts';
import { executeTask, type TaskOutcome } from '../../engine/task-exec.ts';
import { lineinfile } from '../../modules/lineinfile.ts';
import { NODES } from './harness.ts';
import { connectNode, countingConnection, sh } from './module-harness.ts';

const DIR = '/var/tmp/pgsty-loop-plans-test';
const FILE = `${DIR}/sysctl.conf`;

interface LoopVars {
  value: number;
}

const { task } = dsl<LoopVars>();
const keys = ['a', 'b', 'c', 'd'];

/** Four lineinfile items on one file: each item's plan depends on what the items before it wrote. */
const loop = task(
  'entries',
  lineinfile,
  (v, key: string) => ({ path: FILE, regexp: `^${key} =`, line: `${key} = ${key === 'c' ? v.value : 1}`, create: true }),
  {
    loop: keys,
  },
);
const [compiled] = tasksOf(compilePlaybook({ name: 'loop', description: 'loop plans', plays: [{ name: 'loop', hosts: 'all', tasks: [loop] }] })[0]!);

describe('loop items planned ahead on a sandbox node', () => {
  let conn: Connection;
  const counted = countingConnection(() => conn);
  const run = async (value: number, check = false): Promise<TaskOutcome> => {
    counted.reset();
    return executeTask(compiled!, {
      host: 'node',
      vars: { value },
      check,
      connect: async () => counted.connection,
      become: undefined,
      playName: 'loop',
    });
  };

  beforeAll(async () => {
    conn = await connectNode(NODES['node-3']);
    await sh(conn, `rm -rf ${DIR} && mkdir -p ${DIR}`);
  });
  afterAll(async () => {
    await sh(conn, `rm -rf ${DIR}`);
    await conn.close();
  });

  it('plans each item again after an earlier item changed the file, so every line lands in order', async () => {
    const first = await run(1);
    expect(first.status).toBe('changed');
    expect(await sh(conn, `cat ${FILE}`)).toBe('a = 1\nb = 1\nc = 1\nd = 1\n');
  });

  it('reads the file once for the whole loop when nothing changes', async () => {
    const again = await run(1);
    expect(again.status).toBe('ok');
    expect(counted.commands()).toBe(1);
  });

  it('in check mode reports only the item whose value changed, and leaves the file as it was', async () => {
    const check = await run(2, true);
    expect(check.status).toBe('changed');
    expect((check.result.results as { changed: boolean }[]).map((r) => r.changed)).toEqual([false, false, true, false]);
    expect(check.diffs.map((d) => d.after)).toEqual(['a = 1\nb = 1\nc = 2\nd = 1\n']);
    expect(await sh(conn, `cat ${FILE}`)).toBe('a = 1\nb = 1\nc = 1\nd = 1\n');
  });

  it('applies a change in the middle of the loop and keeps the items after it unchanged', async () => {
    const real = await run(2);
    expect((real.result.results as { changed: boolean }[]).map((r) => r.changed)).toEqual([false, false, true, false]);
    expect(await sh(conn, `cat ${FILE}`)).toBe('a = 1\nb = 1\nc = 2\nd = 1\n');
  });
});
