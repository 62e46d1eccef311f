import type { PigstyFacts, PigstyVars } from './params.ts';

/** What every role reads: inventory parameters, identity facts, and the magic vars the engine supplies. */
export type RoleVars = PigstyVars & PigstyFacts & { hostvars: Record<string, PigstyVars & PigstyFacts> };
