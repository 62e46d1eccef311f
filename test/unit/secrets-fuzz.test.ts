import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { shq } from '../../engine/shell-quote.ts';
import { dsl, type Playbook } from '../../engine/dsl.ts';
import { EngineError } from '../../engine/errors.ts';
import { parseInventory } from '../../engine/inventory.ts';
import { defineModule, ModuleFailure } from '../../engine/module.ts';
import type { EventSink, RunEvent } from '../../engine/output/events.ts';
import { jsonSink } from '../../engine/output/json.ts';
import { Masker } from '../../engine/output/mask.ts';
import { plainSink } from '../../engine/output/plain.ts';
import { Runner } from '../../engine/runner.ts';
import { unifiedDiff } from '../../engine/task-exec.ts';
import { validateInventory } from '../../engine/validate.ts';
import { parseExtraVars } from '../../engine/vars.ts';
import { parseYaml } from '../../engine/yaml.ts';
import { debug } from '../../modules/debug.ts';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = random(20261203);
const pick = (chars: string, n: number): string => Array.from({ length: n }, () => chars[Math.floor(rand() * chars.length)]).join('');
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const B64 = `${ALNUM}+/`;

interface Case {
  shape: string;
  /** The variable that holds it: a secret name, or any name for a URL with credentials. */
  name: string;
  value: string | number;
  /** What must never appear: the value, or for a URL its password. */
  hidden: string;
}

const SHAPES: Record<string, () => Omit<Case, 'shape'>> = {
  short: () => {
    const v = `${pick(UPPER, 1)}${pick('23456789', 1)}${pick('xyz', Math.floor(rand() * 2))}`;
    return { name: 'redis_password', value: v, hidden: v };
  },
  numeric: () => {
    const v = Number(`${pick('123456789', 1)}${pick('0123456789', 7)}`);
    return { name: 'pg_admin_password', value: v, hidden: String(v) };
  },
  quotes: () => {
    const v = `${pick(ALNUM, 3)}"${pick(ALNUM, 2)}'${pick(ALNUM, 3)}`;
    return { name: 'pg_monitor_password', value: v, hidden: v };
  },
  backslashes: () => {
    const v = `${pick(ALNUM, 3)}\\${pick(ALNUM, 3)}\\\\${pick(ALNUM, 2)}`;
    return { name: 'etcd_root_password', value: v, hidden: v };
  },
  newlines: () => {
    const v = `${pick(ALNUM, 6)}\n${pick(ALNUM, 6)}`;
    return { name: 'api_token', value: v, hidden: v };
  },
  unicode: () => {
    const v = `pä${pick(ALNUM, 3)}ß-Ω${pick(ALNUM, 2)}ü`;
    return { name: 'patroni_password', value: v, hidden: v };
  },
  url: () => {
    const pw = `${pick(ALNUM, 5)}.${pick(ALNUM, 4)}`;
    return { name: 'pg_exporter_url', value: `postgres://dbuser_monitor:${pw}@10.10.10.10:5432/postgres`, hidden: pw };
  },
  pem: () => {
    const body = Array.from({ length: 3 }, () => pick(B64, 64)).join('\n');
    const v = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
    return { name: 'node_private_key', value: v, hidden: v };
  },
  word: () => {
    const v = ['kestrel', 'marmalade', 'lantern', 'pgbackrest'][Math.floor(rand() * 4)] as string;
    return { name: 's3_key', value: v, hidden: v };
  },
};

const CASES: Case[] = Object.entries(SHAPES).flatMap(([shape, make]) => Array.from({ length: 5 }, () => ({ shape, ...make() })));

/** Every form a secret can take in output: as is, JSON-escaped, shell-quoted, and each line of a multi-line one. */
function forms(secret: string): string[] {
  const lines = secret.split('\n').filter((l) => l.trim().length >= 4);
  return [...new Set([secret, ...lines].flatMap((s) => [s, JSON.stringify(s).slice(1, -1), shq(s)]))];
}

/** The inventory text a user writes: JSON scalars are YAML too. */
const yamlLine = (c: Case): string => `    ${c.name}: ${JSON.stringify(c.value)}`;
const inventoryText = (c: Case, extra = ''): string => `all:\n  hosts:\n    h1: { ansible_connection: local }\n  vars:\n${yamlLine(c)}\n${extra}`;

/** The masker as the CLI builds it: the command line's text, then the parsed inventory and -e values. */
function cliMasker(c: Case, argv: string[]): Masker {
  const masker = new Masker();
  for (const arg of argv) masker.collectText(arg);
  masker.collect(parseYaml(inventoryText(c), 'inventory.yml').data);
  return masker;
}

function capture(make: (write: (text: string) => void) => EventSink): { sink: EventSink; text: () => string } {
  let out = '';
  return { sink: make((t) => (out += t)), text: () => out };
}

const leaky = defineModule({
  name: 'leaky',
  args: Type.Object({ secret: Type.String() }),
  local: true,
  plan: async (_ctx, args) => {
    throw new ModuleFailure(`command failed: ${args.secret}`, { rc: 1, stdout: args.secret, stderr: `error near ${args.secret}` });
  },
});

/** Everything one secret can pass through, each output as text. */
async function outputs(c: Case): Promise<Record<string, string>> {
  const value = String(c.value);
  const argv = ['-e', `${c.name}=${shq(value)}`];
  const masker = cliMasker(c, argv);
  const out: Record<string, string> = {};

  const event: RunEvent = {
    type: 'task_result',
    play: 'p',
    task: 't',
    host: 'h1',
    status: 'failed',
    duration_ms: 1,
    check: true,
    summary: `would run: psql -v pw=${shq(value)}`,
    msg: `password ${value} rejected; json {"password":${JSON.stringify(value)}}`,
    diff: [unifiedDiff({ path: '/etc/app.conf', before: 'password = old\n', after: `password = ${value}\nurl = ${value}\n` })],
    warnings: [`cannot use "${value}"`],
  };
  const plain = capture((w) => plainSink({ color: false, verbose: true }, w));
  const json = capture((w) => jsonSink(w));
  for (const { sink } of [plain, json]) masker.wrap(sink).emit(event);
  out.plain = plain.text();
  out.json = json.text();

  const schema = Type.Object({ [c.name]: Type.Boolean() });
  const inv = parseInventory(inventoryText(c), 'inventory.yml');
  out.validation = masker.mask(
    validateInventory(inv, { schema })
      .errors.map((e) => e.describe())
      .join('\n'),
  );

  const broken = inventoryText(c, '  oops: [\n');
  const yamlMasker = new Masker();
  yamlMasker.collectText(broken);
  try {
    parseYaml(broken, 'inventory.yml');
    out.yaml = 'parsed';
  } catch (error) {
    // The error and the source line it points at, as a reader would look them up.
    out.yaml = yamlMasker.mask(`${(error as EngineError).describe()}\n${broken}`);
  }

  for (const bad of [`${c.name}=${shq(value)} dangling`, `{"${c.name}": ${JSON.stringify(value)}`]) {
    const m = new Masker();
    m.collectText(bad);
    try {
      parseExtraVars([bad], '/');
    } catch (error) {
      out[`extra ${bad.slice(0, 1)}`] = m.mask(error instanceof EngineError ? error.describe() : String(error));
    }
  }

  const { task, role } = dsl<Record<string, unknown>>();
  const playbook: Playbook = {
    name: 'fuzz',
    description: '',
    plays: [
      {
        name: 'p',
        hosts: 'all',
        roles: [
          role({
            name: 'r',
            defaults: { role_password: value },
            tasks: [
              task('show', debug, (v) => ({ msg: `role default ${String(v.role_password)}` })),
              task('fail quietly', leaky, { secret: value }, { no_log: true, ignore_errors: true }),
            ],
          }),
        ],
      },
    ],
  };
  const run = capture((w) => jsonSink(w));
  const runMasker = new Masker();
  await new Runner({
    inventory: parseInventory('all:\n  hosts:\n    h1: { ansible_connection: local }\n', 'inline.yml'),
    extraVars: {},
    check: false,
    diff: true,
    tags: { only: [], skip: [] },
    forks: 1,
    connector: async () => Promise.reject(new Error('no connection expected')),
    sink: runMasker.wrap(run.sink),
    secrets: runMasker,
  }).run(playbook);
  out.run = run.text();

  const thrown = new Error(`unexpected state ${value}`);
  out.exception = masker.mask(`${thrown.message}\n${thrown.stack ?? ''}`);
  return out;
}

describe('fuzz: no generated secret survives any output path', () => {
  it.each(CASES.map((c, i) => [`${c.shape} #${i % 5}`, c] as const))('%s', async (_label, c) => {
    const texts = await outputs(c);
    expect(Object.keys(texts).length).toBeGreaterThanOrEqual(8);
    for (const [path, text] of Object.entries(texts)) {
      for (const form of forms(c.hidden)) {
        expect(text.includes(form), `${c.shape} secret ${JSON.stringify(form)} in ${path}:\n${text}`).toBe(false);
      }
    }
  });
});
