import { Type, type TSchema } from '@sinclair/typebox';

/**
 * A string enum as JSON Schema `enum`, so a wrong value gets one error naming every allowed value (a TypeBox union
 * of literals gives one error per literal). The one copy for module arguments and the parameter schema.
 */
export function Enum<const T extends string>(values: readonly T[], options: { default?: T; description?: string } = {}): ReturnType<typeof Type.Unsafe<T>> {
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
