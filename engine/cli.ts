import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cac } from 'cac';
import { checkArgs } from './args.ts';
import { compilePlaybook, tasksOf, type CompiledPlay } from './compile.ts';
import { makeConnector } from './connector.ts';
import type { Playbook } from './dsl.ts';
import { EngineError, EngineErrors } from './errors.ts';
import { buildInventory } from './inventory.ts';
import type { Inventory, Vars } from './inventory-types.ts';
import type { EventSink } from './output/events.ts';
import { jsonSink } from './output/json.ts';
import { Masker } from './output/mask.ts';
import { plainSink } from './output/plain.ts';
import { progressSink } from './output/progress.ts';
import { applyLimit, patternTerms, resolvePattern } from './patterns.ts';
import { EXIT_SIGNAL, Runner } from './runner.ts';
import { taskSelected, type TagSelection } from './tags.ts';
import { validateInventory } from './validate.ts';
import { parseExtraVarsWithText } from './vars.ts';
import { coerceExtraVars } from './schema.ts';
import { loadYaml } from './yaml.ts';

/** Exit code for bad input found before any host is touched (usage, inventory, validation). */
export const EXIT_INVALID = 1;

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface CliOptions {
  inventory?: string;
  limit?: string;
  tags?: string | string[];
  skipTags?: string | string[];
  extraVars?: string | string[];
  check?: boolean;
  diff?: boolean;
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  forks: number;
  strategy?: string;
  startAtTask?: string;
  json?: boolean;
  plain?: boolean;
  verbose?: boolean;
  trustNewHosts?: boolean;
  knownHosts?: string;
  timeout: number;
  user?: string;
  privateKey?: string;
  strict?: boolean;
}

/** Where the CLI writes: every line passes through the masker first. */
interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

const list = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value])
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter(Boolean);

function defaultInventory(): string {
  return join(PROJECT_ROOT, 'inventory', 'pigsty.yml');
}

/** Parse argv, then list, check or run the playbook; resolves to the process exit code. */
export async function runCli(playbook: Playbook, argv: string[] = process.argv): Promise<number> {
  const cli = cac(playbook.name);
  cli
    .usage(`[options]\n\n${playbook.description}`)
    .option('-i, --inventory <file>', "inventory file (Ansible YAML, as Pigsty's pigsty.yml)", { default: undefined })
    .option('-l, --limit <pattern>', 'limit to hosts matching a pattern: group, host, a,b, pg-*, all:!grp, a:&b, ~regex, @file')
    .option('-t, --tags <tags>', 'only tasks with these tags (comma separated; always-tagged tasks run too)')
    .option('--skip-tags <tags>', 'skip tasks with these tags')
    .option('-e, --extra-vars <vars>', 'extra variables, highest precedence: k=v, @file.yml or a JSON/YAML object (repeatable)')
    .option('-C, --check', 'dry run: change nothing, report what would change')
    .option('-D, --diff', 'show unified diffs of the file content that changes (or would)')
    .option('--list-hosts', 'print the hosts each play would run on, then exit (no connection)')
    .option('--list-tasks', 'print the tasks that would run, with their tags, then exit (no connection)')
    .option('--list-tags', 'print every tag of the playbook, then exit (no connection)')
    .option('-f, --forks <n>', 'hosts worked on at once', { default: 50 })
    .option('--strategy <name>', 'linear (every host finishes a task before the next) or free (each host at its own pace)')
    .option('--start-at-task <name>', 'skip tasks until the one with this name')
    .option('--json', 'one JSON object per event on stdout, for programs')
    .option('--plain', 'plain lines even on a terminal (no live display)')
    .option('-v, --verbose', 'also print ok and skipped results and task headers')
    .option('--trust-new-hosts', 'accept and record host keys that known_hosts does not know yet')
    .option('--known-hosts <file>', 'known_hosts file (default ~/.ssh/known_hosts)')
    .option('-T, --timeout <seconds>', 'SSH connect timeout', { default: 10 })
    .option('-u, --user <name>', 'login user for hosts whose inventory sets no ansible_user')
    .option('--private-key <file>', 'SSH key for hosts whose inventory sets no ansible_ssh_private_key_file')
    .option('--strict', 'refuse to run (exit 1) when a secret is left at a published default or derived from names')
    .help();

  // Built before anything can be printed: a secret may sit anywhere on the command line (-e k=v, an inline mapping).
  const masker = new Masker();
  for (const arg of argv) masker.collectText(arg);
  const io: Output = { out: (text) => process.stdout.write(masker.mask(text)), err: (text) => process.stderr.write(masker.mask(text)) };
  let parsed;
  try {
    parsed = cli.parse(argv, { run: false });
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    return EXIT_INVALID;
  }
  const opts = parsed.options as CliOptions;
  if (parsed.options.help) return 0;
  if (parsed.args.length > 0) {
    io.err(`error: unexpected argument "${parsed.args[0]}"; see --help\n`);
    return EXIT_INVALID;
  }
  try {
    return await execute(playbook, opts, masker, io);
  } catch (error) {
    if (error instanceof EngineErrors) {
      for (const e of error.errors) io.err(`error: ${e.describe()}\n`);
      return EXIT_INVALID;
    }
    if (error instanceof EngineError) {
      io.err(`error: ${error.describe()}\n`);
      return EXIT_INVALID;
    }
    // Whoever prints an unexpected exception prints its message and stack: scrub both.
    if (error instanceof Error) {
      error.message = masker.mask(error.message);
      if (error.stack) error.stack = masker.mask(error.stack);
    }
    throw error;
  }
}

function targetHosts(inv: Inventory, plays: CompiledPlay[], limit?: string): Map<CompiledPlay, string[]> {
  return new Map(
    plays.map((play) => {
      const hosts = resolvePattern(inv, play.hosts).hosts;
      return [play, limit ? applyLimit(inv, hosts, limit, { cwd: process.cwd() }) : hosts];
    }),
  );
}

/** Learn the secrets of a file from its text when it does not parse, so that the parse error cannot show them. */
function loadYamlMasked(file: string, masker: Masker) {
  try {
    const doc = loadYaml(file);
    masker.collect(doc.data);
    return doc;
  } catch (error) {
    if (existsSync(file)) masker.collectText(readFileSync(file, 'utf8'));
    throw error;
  }
}

async function execute(playbook: Playbook, opts: CliOptions, masker: Masker, io: Output): Promise<number> {
  const { out, err } = io;
  const extraArgs = ([] as string[]).concat(opts.extraVars ?? []).map(String);
  for (const arg of extraArgs.filter((a) => a.startsWith('@'))) {
    const file = resolve(arg.slice(1));
    if (existsSync(file)) masker.collectText(readFileSync(file, 'utf8'));
  }
  const inventoryFile = resolve(opts.inventory ?? defaultInventory());
  if (!existsSync(inventoryFile))
    throw new EngineError('inventory file not found', { file: inventoryFile }, 'a readable Ansible YAML inventory (-i FILE)');
  // The raw values, before validation: a secret of the wrong type (a number, a list) is still a secret.
  const inv = buildInventory(loadYamlMasked(inventoryFile, masker));
  for (const w of inv.warnings ?? []) err(`warning: ${w.describe()}\n`);
  const parsed = parseExtraVarsWithText(extraArgs, process.cwd());
  const extraVars: Vars = coerceExtraVars(playbook.schema, parsed.vars, parsed.text);
  masker.collect(extraVars);
  const tags: TagSelection = { only: list(opts.tags), skip: list(opts.skipTags) };
  const strategy = opts.strategy;
  if (strategy !== undefined && strategy !== 'linear' && strategy !== 'free') {
    throw new EngineError(`unknown strategy "${strategy}"`, { path: '--strategy' }, 'linear or free');
  }
  const plays = compilePlaybook(playbook);
  const playHosts = targetHosts(inv, plays, opts.limit);
  const allHosts = [...new Set([...playHosts.values()].flat())];

  if (opts.limit) {
    const unmatched = resolvePattern(inv, opts.limit, { cwd: process.cwd() }).unmatched;
    for (const term of unmatched) err(`warning: --limit term "${term}" matched no host or group\n`);
  }
  if (opts.listHosts) return listHosts(plays, playHosts, Boolean(opts.json), out);
  if (opts.listTasks) return listTasks(playbook, plays, tags, Boolean(opts.json), out);
  if (opts.listTags) return listTags(playbook, plays, Boolean(opts.json), out);

  const refusal = playbook.requiresLimit ? limitRefusal(inv, opts.limit) : undefined;
  if (refusal) throw new EngineError(`${playbook.name} is destructive: ${refusal}`, { path: '--limit' }, 'e.g. -l pg-test');
  const kept = inventorySwitches(inv, playbook.commandLineVars ?? []);
  if (kept.length) throw new EngineErrors(kept);
  if (allHosts.length === 0) {
    throw new EngineError(
      `no hosts to run on${opts.limit ? ` with --limit ${opts.limit}` : ''}`,
      { file: inventoryFile },
      'a limit that matches inventory hosts',
    );
  }
  if (playbook.schema) {
    const { errors, warnings, advisories } = validateInventory(inv, {
      schema: playbook.schema,
      checks: playbook.checks ?? [],
      hosts: allHosts,
      extraVars,
    });
    for (const w of warnings) err(`warning: ${w.describe()}\n`);
    if (!opts.strict) for (const w of advisories) err(`warning: ${w.describe()}\n`);
    const refused = [...errors, ...(opts.strict ? advisories : [])];
    if (refused.length) throw new EngineErrors(refused);
  }
  preflightArgs(plays, tags);

  const style = { color: Boolean(process.stdout.isTTY) && !opts.json, verbose: Boolean(opts.verbose) };
  const base: EventSink = opts.json ? jsonSink() : process.stdout.isTTY && !opts.plain ? progressSink(style) : plainSink(style);
  const sink = masker.wrap(base);
  const interrupt = new AbortController();
  const stopOnSignal = onSignals(interrupt, base);
  const runner = new Runner({
    inventory: inv,
    ...(opts.limit ? { limit: opts.limit } : {}),
    extraVars,
    check: Boolean(opts.check),
    diff: Boolean(opts.diff),
    tags,
    forks: Math.max(1, Number(opts.forks)),
    ...(strategy ? { strategy } : {}),
    ...(opts.startAtTask ? { startAtTask: opts.startAtTask } : {}),
    connector: makeConnector({
      inventory: inv,
      ...(opts.knownHosts ? { knownHostsFile: opts.knownHosts } : {}),
      trustNewHosts: Boolean(opts.trustNewHosts),
      connectTimeoutMs: Number(opts.timeout) * 1000,
      ...(opts.user ? { user: opts.user } : {}),
      ...(opts.privateKey ? { privateKeyFile: opts.privateKey } : {}),
    }),
    sink,
    secrets: masker,
    interrupt: interrupt.signal,
    verbose: Boolean(opts.verbose),
  });
  try {
    const summary = await runner.run(playbook);
    await sink.close();
    return summary.exitCode;
  } finally {
    stopOnSignal();
  }
}

/**
 * SIGINT (Ctrl-C) and SIGTERM: the first interrupts the run (running tasks finish, the recap prints, the exit code is
 * 128 + the signal's number), a second ends the process at once with that code. Returns the function that stops listening.
 */
function onSignals(interrupt: AbortController, display: EventSink): () => void {
  // listr2 buffers stderr while it draws: the note of a second signal must reach the terminal before the exit.
  const writeError = process.stderr.write.bind(process.stderr);
  const listener = (signal: NodeJS.Signals) => {
    if (!interrupt.signal.aborted) {
      interrupt.abort(signal);
      return;
    }
    display.abort?.();
    writeError(`\n${signal} again: stopping at once, running tasks are left unfinished and no recap follows\n`);
    process.exit(EXIT_SIGNAL[String(interrupt.signal.reason)] ?? EXIT_SIGNAL.SIGINT);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/** Task arguments that do not depend on host variables are checked before any connection. */
function preflightArgs(plays: CompiledPlay[], tags: TagSelection): void {
  const errors: EngineError[] = [];
  for (const play of plays) {
    for (const task of [...tasksOf(play), ...play.handlers]) {
      if (typeof task.task.args === 'function' || !taskSelected(task, tags)) continue;
      const error = checkArgs(task.task.module, structuredClone(task.task.args), { play: play.name, task: task.title });
      if (error) errors.push(error);
    }
  }
  if (errors.length) throw new EngineErrors(errors);
}

function listHosts(plays: CompiledPlay[], playHosts: Map<CompiledPlay, string[]>, json: boolean, out: (t: string) => void): number {
  if (json) {
    out(`${JSON.stringify({ plays: plays.map((p) => ({ play: p.name, pattern: p.hosts, hosts: playHosts.get(p) })) })}\n`);
    return 0;
  }
  for (const play of plays) {
    const hosts = playHosts.get(play) ?? [];
    out(`play #${play.index + 1} (${play.hosts}): ${play.name}  hosts (${hosts.length}):\n`);
    for (const host of hosts) out(`  ${host}\n`);
  }
  return 0;
}

function listTasks(playbook: Playbook, plays: CompiledPlay[], tags: TagSelection, json: boolean, out: (t: string) => void): number {
  const rows = plays.map((play) => ({
    play: play.name,
    pattern: play.hosts,
    tags: play.play.tags ?? [],
    tasks: tasksOf(play)
      .filter((t) => taskSelected(t, tags))
      .map((t) => ({ task: t.title, tags: t.tags, ...(t.guard ? { guard: true } : {}) })),
  }));
  if (json) {
    out(`${JSON.stringify({ playbook: playbook.name, plays: rows })}\n`);
    return 0;
  }
  out(`playbook: ${playbook.name}\n`);
  for (const row of rows) {
    out(`\n  play (${row.pattern}): ${row.play}\tTAGS: [${row.tags.join(', ')}]\n    tasks:\n`);
    for (const t of row.tasks) out(`      ${t.task}\tTAGS: [${t.tags.join(', ')}]${t.guard ? '\tGUARD (always runs)' : ''}\n`);
  }
  return 0;
}

function listTags(playbook: Playbook, plays: CompiledPlay[], json: boolean, out: (t: string) => void): number {
  const rows = plays.map((play) => ({
    play: play.name,
    tags: [...new Set(tasksOf(play).flatMap((t) => t.tags))].sort(),
  }));
  if (json) {
    out(`${JSON.stringify({ playbook: playbook.name, plays: rows })}\n`);
    return 0;
  }
  out(`playbook: ${playbook.name}\n`);
  for (const row of rows) out(`\n  play: ${row.play}\n      TASK TAGS: [${row.tags.join(', ')}]\n`);
  return 0;
}

/** The places the inventory sets a variable only -e may set (Playbook.commandLineVars), each with its file:line. */
export function inventorySwitches(inv: Inventory, names: readonly string[]): EngineError[] {
  const places = [
    ...[...inv.groups.values()].flatMap((g) => (g.paths ?? [g.path]).map((path) => ({ vars: g.vars, path: [...path, 'vars'] }))),
    ...[...inv.hosts.values()].flatMap((h) => h.paths.map((path) => ({ vars: h.vars, path }))),
  ];
  const found: EngineError[] = [];
  for (const { vars, path } of places) {
    for (const name of names) {
      const at = [...path, name];
      const loc = name in vars ? inv.locate(at) : undefined;
      if (!loc) continue;
      found.push(
        new EngineError(
          `${name} is a switch of this run, not an inventory variable`,
          { file: loc.file, line: loc.line, column: loc.column, path: at.join('.') },
          `-e ${name}=... on the command line`,
        ),
      );
    }
  }
  return found;
}

/**
 * Why a --limit does not name the target of a destructive playbook, or undefined when it does. Every term that adds
 * hosts (`@file` lines included) must be a group or host named as such, or such a group with a subscript
 * (`pg-test[0]`): a wildcard, a regex or `all` selects by shape, and several of them together can select every
 * cluster where none does alone (`pg-*`, `all[0],all[1:]`). An exclusion or intersection alone starts from every
 * host. Naming the one cluster of a one-cluster inventory is fine; removing every cluster is done by naming each.
 */
export function limitRefusal(inv: Inventory, limit: string | undefined): string | undefined {
  if (limit === undefined || limit.trim() === '') return 'it needs -l naming the cluster or hosts to act on';
  const terms = patternTerms(limit, { cwd: process.cwd() });
  const union = terms.filter((t) => t[0] !== '!' && t[0] !== '&');
  if (union.length === 0) return `-l ${limit}: no term names hosts, so it starts from every host; name the clusters or hosts instead`;
  const group = (name: string) => inv.groups.has(name) && name !== 'all' && name !== 'ungrouped';
  const named = (term: string) => inv.hosts.has(term) || group(term) || group(term.replace(/\[[^\]]*\]$/, ''));
  const unnamed = union.find((term) => !named(term));
  return unnamed === undefined ? undefined : `-l ${limit}: the term "${unnamed}" is not a group or host name; name the clusters or hosts instead`;
}
