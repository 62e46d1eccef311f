import { dsl, type Task, type TaskOptions } from '../../engine/dsl.ts';
import { debug } from '../../modules/debug.ts';
import type { NodeVars } from './node-vars.ts';

const { task } = dsl<NodeVars>();

/** A notice in the run's output: a debug task whose message says what is skipped or adapted, and why. */
export function notice(name: string, msg: (v: NodeVars) => string, options: TaskOptions<NodeVars> = {}): Task<NodeVars> {
  return task(name, debug, (v) => ({ msg: msg(v) }), options);
}
