import { EngineError } from '../../engine/errors.ts';

/** The EngineError a call throws; any other outcome fails the test. */
export function thrown(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error('expected an EngineError');
}
