import { Type, type TSchema } from '@sinclair/typebox';
import { isFalseWord, isTrueWord } from './bool-words.ts';

/**
 * A string enum as JSON Schema `enum`, so a wrong value gets one error naming every allowed value (a TypeBox union
 * of literals gives one error per literal). The one copy for module arguments and the parameter schema.
 */
export function Enum<const T extends string>(
  values: readonly T[],
  options: { default?: T; description?: string } = {},
): ReturnType<typeof Type.Unsafe<T>> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

/**
 * The schema keyword that marks a declared parameter no role of this project reads yet; its value names the role
 * that will. Validation warns when such a parameter is set to anything but its JSON Schema `default` (the value
 * the reference deployment uses), since the setting has no effect. ajv is told the keyword carries no rule.
 */
export const NOT_IMPLEMENTED = 'notImplemented';

/** `schema` marked as read by no role yet (`role` will read it), quiet at `quietDefault` when one is given. */
export function notImplemented<T extends TSchema>(role: string, schema: T, quietDefault?: unknown): T {
  return { ...schema, [NOT_IMPLEMENTED]: role, ...(quietDefault === undefined ? {} : { default: quietDefault }) };
}

type Vars = Record<string, unknown>;

function propertiesOf(schema: TSchema): Record<string, Record<string, unknown>> {
  const props: unknown = schema.properties;
  return typeof props === 'object' && props !== null ? (props as Record<string, Record<string, unknown>>) : {};
}

/**
 * The JSON Schema `default` of every top-level property that declares one: the value a parameter has when nothing
 * sets it. The engine puts these below every other layer, so a role reads a declared default, never restates it.
 * A parameter marked not implemented is left out: nothing reads it, and its placeholder secrets (a `pigsty`
 * password) would otherwise be masked in every line of output.
 */
export function schemaDefaults(schema: TSchema | undefined): Vars {
  if (!schema) return {};
  return Object.fromEntries(
    Object.entries(propertiesOf(schema)).flatMap(([name, s]) =>
      'default' in s && !(NOT_IMPLEMENTED in s) ? [[name, structuredClone(s.default)]] : [],
    ),
  );
}

/**
 * -e values typed as the schema types them where the text is unambiguous: `-e pg_safeguard=yes` is Ansible's way of
 * saying true (its `bool` words, any case), and `=no` must not reach a role as the truthy string "no"; any other
 * string for a boolean stays a string, for validation to refuse. A string parameter set by a key=value pair gets the
 * text as written (`text`, from parseExtraVarsWithText): `pw=007` is "007", not the number 7.
 */
export function coerceExtraVars(schema: TSchema | undefined, vars: Vars, text: Record<string, string> = {}): Vars {
  if (!schema) return vars;
  const props = propertiesOf(schema);
  return Object.fromEntries(
    Object.entries(vars).map(([name, value]) => {
      const type = props[name]?.type;
      const written = text[name];
      if (type === 'string' && typeof value !== 'string' && written !== undefined) return [name, written];
      if (type !== 'boolean' || typeof value !== 'string') return [name, value];
      return [name, isTrueWord(value) ? true : isFalseWord(value) ? false : value];
    }),
  );
}
