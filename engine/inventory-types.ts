import type { EngineError } from './errors.ts';

/** Variables as read from YAML: plain data. */
export type Vars = Record<string, unknown>;

/** A place in a source file. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

export interface Group {
  name: string;
  /** Hosts listed directly under this group's `hosts`. */
  hosts: string[];
  /** Direct child group names, in file order. */
  children: string[];
  /** Direct parent group names: every group but `all` has at least one; a group defined at the top or under `all.children` has `all`. */
  parents: string[];
  vars: Vars;
  /** YAML path of this group's definition, e.g. ['all','children','pg-test']. */
  path: (string | number)[];
  /** YAML paths of every place the group is defined (a group may be listed under several parents), in file order. */
  paths?: (string | number)[][];
}

export interface HostEntry {
  name: string;
  /** Host vars merged from every place the host is listed, in file order. */
  vars: Vars;
  /** Groups that list this host directly. */
  groups: string[];
  /** YAML paths of every place the host is listed, e.g. [['all','children','pg-test','hosts','10.10.10.11']]. */
  paths: (string | number)[][];
}

/** Where a host's effective inventory variable came from. */
export interface VarOrigin {
  /** 'group:<name>' for group vars (including 'group:all'), 'host' for host vars. */
  layer: string;
  /** YAML path of the value. */
  path: (string | number)[];
}

export interface Inventory {
  file: string;
  /** Every host in first-seen file order. */
  hosts: Map<string, HostEntry>;
  /** Every group including the implicit `all` and `ungrouped`. */
  groups: Map<string, Group>;
  /** Source location of a YAML path in the inventory file, or undefined when the path does not exist. */
  locate(path: (string | number)[]): Location | undefined;
  /** Problems Ansible only warns about (duplicate keys, a name used for both a host and a group). */
  warnings?: EngineError[];
}
