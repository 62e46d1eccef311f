/**
 * A value inside the double quotes of a systemd EnvironmentFile line (what Debian's units read as $ARGS): systemd
 * undoes these backslash escapes, and a unit that passes the value to a shell sees no live quote or expansion.
 */
export const envQuoted = (text: string): string => `"${text.replace(/["\\$`]/g, '\\$&')}"`;
