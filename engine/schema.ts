import { Type } from '@sinclair/typebox';

/**
 * A string enum as JSON Schema `enum`, so a wrong value gets one error naming every allowed value (a TypeBox union
 * of literals gives one error per literal). The one copy for module arguments and the parameter schema.
 */
export function Enum<const T extends string>(values: readonly T[], options: { default?: T; description?: string } = {}): ReturnType<typeof Type.Unsafe<T>> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}
