/** The strings Ansible's `bool` filter reads as true, trimmed and in any case; every other string is false. */
const TRUE_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't']);
/**
 * The strings that read as false when a boolean is expected: any other string is a mistake, not a false. The empty
 * string is not one: `-e pg_safeguard=$UNSET` must be refused, not turn a safety switch off.
 */
const FALSE_WORDS = new Set(['n', 'no', 'off', '0', 'false', 'f']);

export const isTrueWord = (text: string): boolean => TRUE_WORDS.has(text.trim().toLowerCase());
export const isFalseWord = (text: string): boolean => FALSE_WORDS.has(text.trim().toLowerCase());
