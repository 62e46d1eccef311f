import { readFileSync } from 'node:fs';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Schema,
  visit,
  type Document,
  type Node,
  type Pair,
  type ScalarTag,
  type Tags,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { EngineError } from './errors.ts';
import type { Location } from './inventory-types.ts';

/** A path into a YAML document: mapping keys and sequence indices. */
export type YamlPath = (string | number)[];

/** A parsed YAML file: plain data plus a way back to source positions. */
export interface YamlFile {
  file: string;
  /** Plain JS data: objects, arrays, strings, numbers, booleans, null. */
  data: unknown;
  /** Source location of a path, following aliases and merge keys; undefined when the path does not exist. */
  locate(path: YamlPath): Location | undefined;
  /** Problems Ansible would only warn about, such as duplicate keys. */
  warnings: EngineError[];
}

// Ansible reads YAML with PyYAML, whose YAML 1.1 resolver differs from the spec and from the
// `yaml` package's 1.1 schema: y/n stay strings (Pigsty relies on this for pgBackRest's `block: y`),
// `09` and `00:30` stay strings, an exponent needs a dot and a sign, and dates stay text.
const trueTag: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  identify: (v) => v === true,
  test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  resolve: () => true,
};

const falseTag: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  identify: (v) => v === false,
  test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  resolve: () => false,
};

const intTag: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  identify: (v) => Number.isInteger(v),
  test: /^(?:[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  resolve: (text) => {
    const { sign, digits } = splitSign(text);
    if (digits === '0') return 0;
    if (digits.startsWith('0b')) return sign * parseInt(digits.slice(2), 2);
    if (digits.startsWith('0x')) return sign * parseInt(digits.slice(2), 16);
    if (digits.startsWith('0')) return sign * parseInt(digits, 8);
    if (digits.includes(':')) return sign * sexagesimal(digits);
    return sign * parseInt(digits, 10);
  },
};

const floatTag: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  identify: (v) => typeof v === 'number',
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  resolve: (text) => {
    const { sign, digits } = splitSign(text.toLowerCase());
    if (digits === '.inf') return sign * Infinity;
    if (digits === '.nan') return NaN;
    if (digits.includes(':')) return sign * sexagesimal(digits);
    return sign * parseFloat(digits);
  },
};

function splitSign(text: string): { sign: number; digits: string } {
  const digits = text.replace(/_/g, '');
  if (digits.startsWith('-')) return { sign: -1, digits: digits.slice(1) };
  if (digits.startsWith('+')) return { sign: 1, digits: digits.slice(1) };
  return { sign: 1, digits };
}

function sexagesimal(digits: string): number {
  return digits.split(':').reduce((total, part) => total * 60 + parseFloat(part), 0);
}

/** Ansible's `!unsafe` marks text that must never be templated; the data itself is unchanged. */
const unsafeScalar: ScalarTag = { tag: '!unsafe', resolve: (text) => text };

const KEPT_TAGS = new Set(['tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq', 'tag:yaml.org,2002:str', 'tag:yaml.org,2002:null']);

function ansibleTags(base: Tags): Tags {
  const kept = base.filter((t) => typeof t === 'object' && KEPT_TAGS.has(t.tag));
  const collections = kept.flatMap((t) =>
    typeof t === 'object' && 'collection' in t && t.collection ? [{ ...t, tag: '!unsafe', default: false }] : [],
  );
  return [...kept, trueTag, falseTag, intTag, floatTag, unsafeScalar, ...collections];
}

// A Schema instance (rather than a name) is used as is, so a `%YAML 1.2` directive cannot switch the rules.
const schema = new Schema({ schema: 'yaml-1.1', customTags: ansibleTags, merge: true, resolveKnownTags: false });

/** Parse YAML text with Ansible's YAML 1.1 rules; `file` names the source in errors. */
export function parseYaml(source: string, file: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, {
    version: '1.1',
    schema,
    merge: true,
    // Ansible keeps the last of duplicate keys and warns; the warning is produced below.
    uniqueKeys: false,
    prettyErrors: false,
    lineCounter,
  });
  const at = (offset: number): Location => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const fail = (e: YAMLError, expected: string): EngineError => new EngineError(e.message, at(e.pos[0]), expected);

  const syntax = doc.errors[0];
  if (syntax) throw fail(syntax, 'valid YAML');
  const warnings: EngineError[] = [];
  for (const w of doc.warnings) {
    if (w.code === 'TAG_RESOLVE_FAILED') throw fail(w, 'a standard YAML tag or !unsafe');
    warnings.push(fail(w, 'valid YAML'));
  }
  warnings.push(...checkMaps(doc, at));

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    throw new EngineError(`cannot expand aliases: ${(e as Error).message}`, { file }, 'a document without alias loops');
  }
  return { file, data, locate: (path) => locateIn(doc, path, at), warnings };
}

/** Read a file and parse it as YAML (JSON is YAML too). */
export function loadYaml(file: string): YamlFile {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EngineError(`cannot read file: ${(e as Error).message}`, { file }, 'a readable YAML file');
  }
  return parseYaml(source, file);
}

/** Render a path the way error messages show it: all.children.pg-test.hosts["10.10.10.11"].pg_role */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** An EngineError pointing at a path of a parsed file (at the file itself if the path is not there). */
export function errorAt(doc: YamlFile, path: YamlPath, message: string, expected?: string): EngineError {
  const loc = doc.locate(path);
  return new EngineError(message, { file: doc.file, line: loc?.line, column: loc?.column, path: formatPath(path) }, expected);
}

function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  if (typeof key.value === 'symbol') return undefined;
  return key.value === null || key.value === undefined ? '' : String(key.value);
}

function isMergePair(pair: Pair): boolean {
  return isScalar(pair.key) && typeof pair.key.value === 'symbol';
}

/** Duplicate keys become warnings; merge sources that are not mappings become errors, as in PyYAML. */
function checkMaps(doc: Document, at: (offset: number) => Location): EngineError[] {
  const warnings: EngineError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (isMergePair(pair)) {
          const sources = mergeSources(doc, pair);
          if (!sources.every((s) => isMap(s))) {
            throw new EngineError('merge key << needs a mapping or a list of mappings', at(startOf(pair.value) ?? 0), 'an alias to a mapping');
          }
          continue;
        }
        const key = keyText(pair.key);
        if (key === undefined) continue;
        if (seen.has(key)) {
          warnings.push(new EngineError(`duplicate key "${key}"; the last value is used`, at(startOf(pair.key) ?? 0), 'unique keys in a mapping'));
        }
        seen.add(key);
      }
    },
  });
  return warnings;
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? range[0] : undefined;
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function mergeSources(doc: Document, pair: Pair): unknown[] {
  const value = deref(doc, pair.value);
  return isSeq(value) ? value.items.map((item) => deref(doc, item)) : [value];
}

/** The pair that gives `key` its value: the last explicit one, else the first merge source that has it. */
function findPair(doc: Document, map: YAMLMap, key: string): Pair | undefined {
  const explicit = map.items.filter((p) => !isMergePair(p) && keyText(p.key) === key).pop();
  if (explicit) return explicit;
  for (const pair of map.items.filter(isMergePair)) {
    for (const source of mergeSources(doc, pair)) {
      const found = isMap(source) ? findPair(doc, source, key) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

function locateIn(doc: Document, path: YamlPath, at: (offset: number) => Location): Location | undefined {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (const seg of path) {
    node = deref(doc, node);
    if (isMap(node)) {
      const pair = findPair(doc, node, String(seg));
      if (!pair) return undefined;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      const start = startOf(node);
      if (start === undefined) return undefined;
      offset = start;
    } else {
      return undefined;
    }
  }
  return at(offset);
}
