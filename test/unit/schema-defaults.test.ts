import { Type, type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../engine/inventory.ts';
import { coerceExtraVars, NOT_IMPLEMENTED, schemaDefaults } from '../../engine/schema.ts';
import { validateInventory } from '../../engine/validate.ts';
import { checks } from '../../roles/checks.ts';
import { PigstyParams } from '../../roles/params.ts';

const Sample = Type.Object({
  port: Type.Integer({ default: 5432 }),
  enabled: Type.Boolean({ default: false }),
  packages: Type.Array(Type.String(), { default: ['a', 'b'] }),
  options: Type.Object({ nested: Type.String({ default: 'inner' }) }, { default: { nested: 'outer' } }),
  name: Type.String(),
  flag: Type.Boolean(),
});

describe('schemaDefaults', () => {
  it('returns the declared default of every top-level property and skips those without one', () => {
    expect(schemaDefaults(Sample)).toEqual({ port: 5432, enabled: false, packages: ['a', 'b'], options: { nested: 'outer' } });
    expect(schemaDefaults(undefined)).toEqual({});
  });

  it('leaves out a parameter marked not implemented: nothing reads it, and its placeholder secret would be masked everywhere', () => {
    const Marked = Type.Object({
      port: Type.Integer({ default: 1 }),
      admin_password: Type.String({ default: 'pigsty', [NOT_IMPLEMENTED]: 'infra' }),
    });
    expect(schemaDefaults(Marked)).toEqual({ port: 1 });
    expect(schemaDefaults(PigstyParams)).not.toHaveProperty('grafana_admin_password');
  });

  it('returns copies: changing what one host got changes neither the schema nor the next hosts', () => {
    const first = schemaDefaults(Sample) as { packages: string[]; options: { nested: string } };
    first.packages.push('c');
    first.options.nested = 'changed';
    expect(Sample.properties.packages.default).toEqual(['a', 'b']);
    expect(Sample.properties.options.default).toEqual({ nested: 'outer' });
    expect(schemaDefaults(Sample)).toMatchObject({ packages: ['a', 'b'], options: { nested: 'outer' } });
  });
});

describe('coerceExtraVars', () => {
  it("reads Ansible's bool words, in any case, as booleans for a boolean parameter", () => {
    const words: [string, boolean][] = [
      ['yes', true],
      ['No', false],
      ['on', true],
      ['off', false],
      ['1', true],
      ['0', false],
      ['true', true],
    ];
    for (const [word, value] of words)
      expect(coerceExtraVars(Sample, { enabled: word, flag: word }), JSON.stringify(word)).toEqual({ enabled: value, flag: value });
  });

  it('leaves any other word a string, for validation to refuse, and other parameters as they are', () => {
    expect(coerceExtraVars(Sample, { flag: 'maybe' })).toEqual({ flag: 'maybe' });
    expect(coerceExtraVars(Sample, { flag: '', enabled: ' ' })).toEqual({ flag: '', enabled: ' ' });
    expect(coerceExtraVars(Sample, { name: 'yes', port: '1', packages: 'off', unknown: 'no', flag: true })).toEqual({
      name: 'yes',
      port: '1',
      packages: 'off',
      unknown: 'no',
      flag: true,
    });
    expect(coerceExtraVars(undefined, { flag: 'yes' })).toEqual({ flag: 'yes' });
  });

  it('gives a string parameter set by key=value the text as written, where key=value typed it a number or a boolean', () => {
    const text = { name: '007', port: '0042' };
    expect(coerceExtraVars(Sample, { name: 7, port: 42 }, text)).toEqual({ name: '007', port: 42 });
    expect(coerceExtraVars(Sample, { name: true }, { name: 'yes' })).toEqual({ name: 'yes' });
    expect(coerceExtraVars(Sample, { name: 7 })).toEqual({ name: 7 });
  });
});

describe('the declared defaults of the Pigsty parameters', () => {
  it('each validate against their own schema', () => {
    // As engine/validate.ts compiles schemas: TypeBox's output as is, with the notImplemented mark known to carry no rule.
    const ajv = new Ajv({ allErrors: true, validateSchema: false });
    ajv.addKeyword({ keyword: NOT_IMPLEMENTED, schemaType: 'string' });
    const properties = PigstyParams.properties as Record<string, TSchema>;
    const withDefault = Object.entries(properties).filter(([, schema]) => 'default' in schema);
    expect(withDefault.length).toBeGreaterThan(100);
    const invalid = withDefault.flatMap(([name, schema]) => {
      const validate = ajv.compile(schema);
      return validate(schema.default) ? [] : [`${name}: ${ajv.errorsText(validate.errors)}`];
    });
    expect(invalid).toEqual([]);
  });
});

describe('-e values of the wrong type', () => {
  const inventory = parseInventory('all:\n  hosts: { 10.10.10.10: {} }\n  vars: { admin_ip: 10.10.10.10 }\n', 'inline.yml');
  /** Validate the inventory with these -e values, typed as the command line types them. */
  const errorsWith = (extraVars: Record<string, unknown>) =>
    validateInventory(inventory, { schema: PigstyParams, checks, extraVars: coerceExtraVars(PigstyParams, extraVars) }).errors.map((e) =>
      e.describe(),
    );

  it('are errors placed at "-e <name>", naming the value and what was expected', () => {
    expect(errorsWith({})).toEqual([]);
    expect(errorsWith({ pg_port: 'abc', pg_safeguard: 'maybe', pg_rm_data: 'no' })).toEqual([
      '-e pg_port: invalid value "abc" (expected an integer from 1 to 65535)',
      '-e pg_safeguard: invalid value "maybe" (expected true or false)',
    ]);
  });

  it('never show the value of a secret, at the top or inside a list', () => {
    const errors = errorsWith({ etcd_root_password: 31337, pg_admin_password: 'Leaked.Secret\nnext', pg_users: [{ name: 'app', password: 42424 }] });
    expect(errors).toEqual([
      '-e etcd_root_password: invalid value (a number; a secret is not shown) (expected a single line without control characters)',
      '-e pg_users.0.password: invalid value (a number; a secret is not shown) (expected a single line without control characters)',
      '-e pg_admin_password: invalid value (a string; a secret is not shown) (expected a single line without control characters)',
    ]);
    for (const text of errors) expect(text).not.toMatch(/31337|Leaked|42424/);
  });
});
