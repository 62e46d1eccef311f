import { Type, type Static } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed } from '../engine/module.ts';

export const WaitForArgs = Type.Object(
  {
    /** Host whose TCP port to check, seen from the managed node. */
    host: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]+$', default: '127.0.0.1', description: 'host name or IP address' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    path: Type.Optional(Type.String({ pattern: '^/', description: 'absolute path on the node' })),
    /** A PCRE (grep -P) the file at path must contain; needs path. */
    search_regex: Type.Optional(Type.String({ minLength: 1 })),
    /** started/present: open port or existing path; stopped/absent: closed port or missing path. */
    state: Type.Optional(Enum(['started', 'stopped', 'present', 'absent'], { default: 'started' })),
    timeout: Type.Optional(Type.Integer({ minimum: 0, default: 300, description: 'seconds to wait before failing' })),
    delay: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'seconds to wait before the first check' })),
    sleep: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'seconds between checks' })),
    connect_timeout: Type.Optional(Type.Integer({ minimum: 1, default: 5, description: 'seconds one connection attempt may take' })),
    /** Replaces the failure message on timeout. */
    msg: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

type WaitFor = Static<typeof WaitForArgs>;

interface Condition {
  /** Shell that succeeds when the condition holds. */
  test: string;
  /** What is awaited, for messages: "port 5432 on 127.0.0.1 to accept connections". */
  what: string;
  /** A regex to validate with grep before polling. */
  regex?: string;
}

/** The condition as a shell test, or a failure for argument combinations the schema cannot express. */
export function condition(args: WaitFor): Condition {
  const wanted = args.state === 'stopped' || args.state === 'absent' ? 'gone' : 'there';
  if ((args.port === undefined) === (args.path === undefined)) throw new ModuleFailure('wait_for needs exactly one of "port" or "path"');
  if (args.port !== undefined) {
    if (args.search_regex !== undefined) throw new ModuleFailure('wait_for: "search_regex" works with "path" only, not with "port"');
    const host = args.host ?? '127.0.0.1';
    const open = `timeout ${args.connect_timeout ?? 5} bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ ${shq(host)} ${args.port} 2>/dev/null`;
    return wanted === 'there'
      ? { test: open, what: `port ${args.port} on ${host} to accept connections` }
      : { test: `! ${open}`, what: `port ${args.port} on ${host} to be closed` };
  }
  const path = shq(args.path ?? '');
  if (args.search_regex !== undefined) {
    if (wanted === 'gone') throw new ModuleFailure(`wait_for: "search_regex" cannot be combined with state ${args.state}`);
    return {
      test: `[ -f ${path} ] && grep -qsP -e ${shq(args.search_regex)} -- ${path}`,
      what: `${args.path} to match /${args.search_regex}/`,
      regex: args.search_regex,
    };
  }
  return wanted === 'there'
    ? { test: `[ -e ${path} ]`, what: `${args.path} to exist` }
    : { test: `[ ! -e ${path} ]`, what: `${args.path} to be absent` };
}

/** A bash loop that polls the condition on the host until it holds or the deadline passes, printing the outcome. */
export function pollScript(cond: Condition, timeout: number, delay: number, sleep: number): string {
  const lines = ['set -u'];
  if (cond.regex !== undefined) {
    lines.push(`err=$(grep -qP -e ${shq(cond.regex)} -- /dev/null 2>&1)`, `if [ $? -eq 2 ]; then printf 'badregex %s\\n' "$err"; exit 0; fi`);
  }
  if (delay > 0) lines.push(`sleep ${delay}`);
  // Whole seconds elapsed from microseconds: bash's SECONDS counts clock ticks, so a wait started at x.9 s shows 1 s
  // a tenth of a second later.
  lines.push(
    's=${EPOCHREALTIME/./}',
    'while :; do',
    '  t=$(( (${EPOCHREALTIME/./} - s) / 1000000 ))',
    `  if ${cond.test}; then echo "ok $t"; exit 0; fi`,
    `  if [ "$t" -ge ${timeout} ]; then echo "timeout $t"; exit 0; fi`,
    `  sleep ${sleep}`,
    'done',
  );
  return lines.join('\n');
}

/** Wait on the host for a port to open or close, or a path to appear, vanish or match; never changes anything. */
export const waitFor = defineModule({
  name: 'wait_for',
  args: WaitForArgs,
  async plan(ctx, args) {
    const cond = condition(args);
    const timeout = args.timeout ?? 300;
    const delay = args.delay ?? 0;
    const sleep = args.sleep ?? 1;
    // Check mode probes once: earlier tasks did not really run, so waiting could only time out.
    const script = ctx.check ? pollScript(cond, 0, 0, sleep) : pollScript(cond, timeout, delay, sleep);
    const limitMs = ctx.check ? 60_000 : (delay + timeout + sleep + (args.connect_timeout ?? 5) + 60) * 1000;
    const result = mustSucceed(await ctx.run(`bash -c ${shq(script)}`, { timeoutMs: limitMs }), `waiting for ${cond.what}`);
    const [status = '', ...rest] = result.stdout.trim().split(' ');
    const detail = rest.join(' ');
    if (status === 'badregex') throw new ModuleFailure(`wait_for: invalid search_regex /${args.search_regex}/: ${detail}`);
    if (status !== 'ok' && status !== 'timeout') throw new ModuleFailure(`waiting for ${cond.what}: unexpected output: ${result.stdout.trim()}`);
    const elapsed = Number(detail) + (ctx.check ? 0 : delay);
    if (status === 'ok') return { changed: false, summary: `waited ${elapsed}s for ${cond.what}`, data: { elapsed } };
    if (ctx.check) return { changed: false, summary: `would wait for ${cond.what} (up to ${timeout}s): not yet`, data: { elapsed: 0 } };
    throw new ModuleFailure(args.msg ?? `timed out after ${timeout}s waiting for ${cond.what}`, { rc: 1 });
  },
});
