import type { ParamVars, PigstyFacts } from './params.ts';

/** What every role reads: parameters (declared defaults applied), identity facts, and the magic vars the engine supplies. */
export type RoleVars = ParamVars & PigstyFacts & { hostvars: Record<string, ParamVars & PigstyFacts> };
