import type { CompiledPlay } from './compile.ts';
import type { Connection } from './connection/types.ts';
import type { Inventory, Vars } from './inventory-types.ts';
import { groupNamesOf, inventoryVars, mergeLayers } from './vars.ts';

/** What the run knows about one host: its inventory vars, the facts it gathered, and how it fares. */
export interface HostState {
  name: string;
  inventory: Vars;
  /** set_fact, fact readers and register results; they outlive the play, as in Ansible. */
  facts: Vars;
  failed: boolean;
  unreachable: boolean;
  notified: Set<string>;
  connection?: Promise<Connection>;
}

/** Build the state of every inventory host once per run. */
export function initialHostStates(inv: Inventory): Map<string, HostState> {
  const states = new Map<string, HostState>();
  for (const name of inv.hosts.keys()) {
    states.set(name, { name, inventory: inventoryVars(inv, name).vars, facts: {}, failed: false, unreachable: false, notified: new Set() });
  }
  return states;
}

/** Ansible's group → hosts map, as the `groups` magic variable. */
export function groupsMap(inv: Inventory): Record<string, string[]> {
  const groups: Record<string, string[]> = { all: [...inv.hosts.keys()] };
  for (const host of inv.hosts.keys()) {
    for (const group of groupNamesOf(inv, host)) (groups[group] ??= []).push(host);
  }
  return groups;
}

/**
 * The variables a task sees on a host, lowest first:
 * role defaults < inventory (all < groups < host) < magic vars < play vars < role vars < facts and registers < extra vars.
 */
export function taskVars(
  inv: Inventory,
  states: Map<string, HostState>,
  state: HostState,
  play: CompiledPlay,
  extraVars: Vars,
  groups: Record<string, string[]>,
): Vars {
  const hostvars: Vars = {};
  for (const other of states.values()) {
    Object.defineProperty(hostvars, other.name, {
      enumerable: true,
      get: () =>
        mergeLayers(play.defaults, other.inventory, { inventory_hostname: other.name }, play.play.vars ?? {}, play.roleVars, other.facts, extraVars),
    });
  }
  const magic: Vars = { inventory_hostname: state.name, group_names: groupNamesOf(inv, state.name), groups, hostvars };
  return mergeLayers(play.defaults, state.inventory, magic, play.play.vars ?? {}, play.roleVars, state.facts, extraVars);
}
