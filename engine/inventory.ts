import type { Group, HostEntry, Inventory } from './inventory-types.ts';
import { errorAt, loadYaml, parseYaml, type YamlFile, type YamlPath } from './yaml.ts';

const GROUP_SHAPE = 'a mapping with any of hosts, vars and children (or nothing)';
const ROOT_SHAPE = 'a mapping of group names, e.g. all: {hosts: ..., vars: ..., children: ...}';

/** Load an Ansible YAML inventory file (the format of Pigsty's pigsty.yml). */
export function loadInventory(file: string): Inventory {
  return buildInventory(loadYaml(file));
}

/** Build an inventory from YAML text; `file` names the source in errors. */
export function parseInventory(source: string, file: string): Inventory {
  return buildInventory(parseYaml(source, file));
}

/** Every group above `group`, nearest first. */
export function ancestorsOf(inv: Inventory, group: string): string[] {
  const seen = new Set<string>();
  const queue = [group];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    for (const parent of inv.groups.get(name)?.parents ?? []) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return [...seen];
}

/** Hosts of a group and its descendants in Ansible's order: the group's own hosts, then its children's, level by level. */
export function hostsOf(inv: Inventory, group: string): string[] {
  if (!inv.groups.has(group)) return [];
  const order = [group];
  for (let i = 0; i < order.length; i++) {
    for (const child of inv.groups.get(order[i] as string)?.children ?? []) {
      if (!order.includes(child)) order.push(child);
    }
  }
  const hosts = new Set<string>();
  for (const name of order) for (const host of inv.groups.get(name)?.hosts ?? []) hosts.add(host);
  return [...hosts];
}

/** Ansible's group depth: the longest chain of parents from `all` down to the group (`all` is 0). */
export function depthOf(inv: Inventory, group: string): number {
  const parents = inv.groups.get(group)?.parents ?? [];
  return parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => depthOf(inv, p)));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeKind(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'empty';
  return `a ${typeof value} (${JSON.stringify(value)})`;
}

/** Build an inventory from a parsed YAML file. */
export function buildInventory(doc: YamlFile): Inventory {
  const root = doc.data;
  if (!isMapping(root)) {
    throw errorAt(doc, [], `an inventory must be a mapping of groups, but this file is ${describeKind(root)}`, ROOT_SHAPE);
  }
  if ('plugin' in root) {
    throw errorAt(doc, ['plugin'], 'this is an inventory plugin configuration, not a YAML inventory', ROOT_SHAPE);
  }
  const builder = new Builder(doc);
  for (const [name, body] of Object.entries(root)) builder.define(name, body, [name]);
  return builder.finish();
}

class Builder {
  private readonly groups = new Map<string, Group>();
  private readonly hosts = new Map<string, HostEntry>();

  constructor(private readonly doc: YamlFile) {
    this.group('all');
    this.link('all', 'ungrouped', []);
  }

  private group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], vars: {}, path: [], paths: [] };
      this.groups.set(name, g);
    }
    return g;
  }

  /** Read one group definition; a group listed in several places accumulates hosts, vars and children. */
  define(name: string, body: unknown, path: YamlPath): void {
    if (body !== null && !isMapping(body)) {
      throw errorAt(this.doc, path, `group "${name}" is ${describeKind(body)}`, GROUP_SHAPE);
    }
    const g = this.group(name);
    if (g.paths?.length === 0) g.path = path;
    g.paths?.push(path);
    if (body === null) return;

    for (const [key, value] of Object.entries(body)) {
      const at = [...path, key];
      if (key !== 'hosts' && key !== 'vars' && key !== 'children') {
        throw errorAt(this.doc, at, `unknown key "${key}" in group "${name}"`, 'hosts, vars or children');
      }
      if (value === null) continue;
      if (key === 'vars') {
        if (!isMapping(value))
          throw errorAt(this.doc, at, `vars of group "${name}" are ${describeKind(value)}`, 'a mapping of variable names to values');
        Object.assign(g.vars, value);
        continue;
      }
      // Ansible accepts a single name in place of a mapping for hosts and children.
      const entries = typeof value === 'string' ? { [value]: null } : value;
      if (!isMapping(entries)) {
        const expected =
          key === 'hosts'
            ? 'a mapping of host names to host vars, e.g. hosts: {10.10.10.11: {pg_seq: 1}}'
            : 'a mapping of group names to group definitions';
        throw errorAt(this.doc, at, `${key} of group "${name}" is ${describeKind(value)}`, expected);
      }
      for (const [child, childBody] of Object.entries(entries)) {
        if (key === 'hosts') {
          this.host(child, childBody, [...at, child], g);
        } else {
          this.link(name, child, [...at, child]);
          this.define(child, childBody, [...at, child]);
        }
      }
    }
  }

  private host(name: string, hostVars: unknown, path: YamlPath, group: Group): void {
    if (name === '' || /[[\]:]/.test(name)) {
      throw errorAt(
        this.doc,
        path,
        `host "${name}" is not a plain host name (host ranges and host:port are not supported)`,
        'one entry per host, with ansible_port in its host vars',
      );
    }
    if (hostVars !== null && !isMapping(hostVars)) {
      throw errorAt(
        this.doc,
        path,
        `host vars of "${name}" in group "${group.name}" are ${describeKind(hostVars)}`,
        'a mapping of variable names to values, or nothing',
      );
    }
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: {}, groups: [], paths: [] };
      this.hosts.set(name, h);
    }
    h.paths.push(path);
    Object.assign(h.vars, hostVars);
    if (!h.groups.includes(group.name)) h.groups.push(group.name);
    if (!group.hosts.includes(name)) group.hosts.push(name);
  }

  /** Make `child` a child of `parent`, refusing anything that would make the group tree a loop. */
  private link(parent: string, child: string, path: YamlPath): void {
    if (child === 'all') {
      throw errorAt(this.doc, path, `group "all" cannot be a child of "${parent}"`, 'groups other than all under children');
    }
    const loop = this.chain(child, parent);
    if (loop) {
      throw errorAt(
        this.doc,
        path,
        `group "${child}" under "${parent}" makes a cycle: ${[parent, ...loop].join(' -> ')}`,
        'a group tree without cycles',
      );
    }
    const p = this.group(parent);
    const c = this.group(child);
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  /** A path of child links from `from` down to `to`, if there is one. */
  private chain(from: string, to: string): string[] | undefined {
    if (from === to) return [from];
    for (const child of this.groups.get(from)?.children ?? []) {
      const rest = this.chain(child, to);
      if (rest) return [from, ...rest];
    }
    return undefined;
  }

  finish(): Inventory {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.link('all', g.name, g.path);
    }
    // Like Ansible: a host only in `all` is ungrouped, and `ungrouped` only keeps hosts that have no other group.
    const ungrouped = this.group('ungrouped');
    for (const h of this.hosts.values()) {
      const others = h.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
      if (others.length === 0 && !h.groups.includes('ungrouped')) {
        h.groups.push('ungrouped');
        ungrouped.hosts.push(h.name);
      } else if (others.length > 0 && h.groups.includes('ungrouped')) {
        h.groups = h.groups.filter((g) => g !== 'ungrouped');
        ungrouped.hosts = ungrouped.hosts.filter((n) => n !== h.name);
      }
    }
    const warnings = [...this.doc.warnings];
    for (const name of this.hosts.keys()) {
      if (this.groups.has(name)) {
        const h = this.hosts.get(name) as HostEntry;
        warnings.push(errorAt(this.doc, h.paths[0] ?? [], `"${name}" names both a host and a group`, 'distinct host and group names'));
      }
    }
    return { file: this.doc.file, hosts: this.hosts, groups: this.groups, locate: this.doc.locate, warnings };
  }
}
