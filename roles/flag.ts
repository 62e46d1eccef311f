import { isTrueWord } from '../engine/bool-words.ts';

/**
 * A boolean parameter as Ansible's `| bool` reads it: `-e pg_safeguard=true` arrives as the string "true", so
 * strings y/yes/on/1/true/t (any case) are true and other strings false; undefined takes the default.
 */
export function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  return isTrueWord(String(value));
}
