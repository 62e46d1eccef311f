import { describe, expect, it } from 'vitest';
import { dsl, type Playbook } from '../../engine/dsl.ts';
import { parseInventory } from '../../engine/inventory.ts';
import { defineModule, ModuleFailure } from '../../engine/module.ts';
import type { RunEvent } from '../../engine/output/events.ts';
import { Masker } from '../../engine/output/mask.ts';
import { Runner } from '../../engine/runner.ts';
import { debug } from '../../modules/debug.ts';
import { setFact } from '../../modules/set-fact.ts';
import { Type } from '@sinclair/typebox';

type V = Record<string, unknown>;
const { task, role } = dsl<V>();

/** Fails with its secret in the message, stdout and stderr, as a command quoting its input would. */
const leaky = defineModule({
  name: 'leaky',
  args: Type.Object({ secret: Type.String() }),
  local: true,
  plan: async (_ctx, args) => {
    throw new ModuleFailure(`psql failed: password ${args.secret} rejected`, { rc: 2, stdout: args.secret, stderr: `FATAL: ${args.secret}` });
  },
});

/** Makes a password and marks it secret, as a module generating one would. */
const generator = defineModule({
  name: 'generator',
  args: Type.Object({}),
  local: true,
  plan: async () => ({ changed: true, summary: 'made Gen3rated.Pw', secrets: ['Gen3rated.Pw'], data: { made: 'Gen3rated.Pw' } }),
});

const playbook: Playbook = {
  name: 'secrets',
  description: 'prints what it should not',
  plays: [
    {
      name: 'p',
      hosts: 'all',
      roles: [
        role({
          name: 'r',
          defaults: { app_password: 'R0le.Default' },
          tasks: [
            task('show the role default', debug, (v) => ({ msg: `default is ${String(v.app_password)}` })),
            task('make a token', setFact, { made_token: 'F4ct.Token' }),
            task('show the fact', debug, (v) => ({ msg: `token ${String(v.made_token)}` })),
            task('generate', generator, {}),
            task('hidden failure', leaky, { secret: 'N0log.Value' }, { no_log: true, ignore_errors: true }),
          ],
        }),
      ],
    },
  ],
};

describe('a run masks what it learns while running', () => {
  it('role defaults, set_fact results and module secrets never show; a no_log failure shows only its name, host and status', async () => {
    const inv = parseInventory('all:\n  hosts:\n    h1: {ansible_connection: local}\n', 'inline.yml');
    const masker = new Masker();
    const events: RunEvent[] = [];
    const runner = new Runner({
      inventory: inv,
      extraVars: {},
      check: false,
      diff: true,
      tags: { only: [], skip: [] },
      forks: 1,
      connector: async () => {
        throw new Error('no connection expected');
      },
      sink: masker.wrap({ emit: (e) => events.push(e), close: async () => {} }),
      secrets: masker,
    });
    await runner.run(playbook);
    const text = JSON.stringify(events);
    for (const secret of ['R0le.Default', 'F4ct.Token', 'Gen3rated.Pw', 'N0log.Value']) expect(text).not.toContain(secret);
    const hidden = events.find((e) => e.type === 'task_result' && e.task === 'r : hidden failure');
    expect(hidden).toMatchObject({ host: 'h1', status: 'failed', ignored: true, msg: 'failure hidden by no_log' });
    expect(events.find((e) => e.type === 'task_result' && e.task === 'r : show the role default')).toMatchObject({ summary: 'default is ********' });
  });

  it('a role default the inventory overrides is not a secret of the run: a published word stays readable', async () => {
    const inv = parseInventory('all:\n  hosts:\n    h1: {ansible_connection: local, web_password: Own.Secret1}\n', 'inline.yml');
    const overridden: Playbook = {
      name: 'overridden',
      description: '',
      plays: [
        {
          name: 'p',
          hosts: 'all',
          roles: [
            role({
              name: 'r',
              defaults: { web_password: 'pigsty' },
              tasks: [task('show', debug, (v) => ({ msg: `schema pigsty, password ${String(v.web_password)}` }))],
            }),
          ],
        },
      ],
    };
    const masker = new Masker();
    masker.collect({ web_password: 'Own.Secret1' });
    const events: RunEvent[] = [];
    await new Runner({
      inventory: inv,
      extraVars: {},
      check: false,
      diff: false,
      tags: { only: [], skip: [] },
      forks: 1,
      connector: async () => Promise.reject(new Error('no connection expected')),
      sink: masker.wrap({ emit: (e) => events.push(e), close: async () => {} }),
      secrets: masker,
    }).run(overridden);
    expect(events.find((e) => e.type === 'task_result')).toMatchObject({ summary: 'schema pigsty, password ********' });
  });
});
