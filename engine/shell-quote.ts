/** Quote a value for POSIX sh so it is always one literal word. Roles and modules build their commands with it. */
export function shq(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Text as written inside the double quotes of a systemd EnvironmentFile value, where systemd unescapes \" \\ \$ \` (and expands nothing). */
export function envEscape(value: string): string {
  return value.replace(/["\\$`]/g, '\\$&');
}

/**
 * A systemd EnvironmentFile line `name="value"`. A control character is refused: command line options have none, and
 * systemd would keep a newline inside the quotes, making a file that reads as two lines one value.
 */
export function envLine(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) throw new Error(`${name}: the value has a control character, which an EnvironmentFile line cannot hold`);
  return `${name}="${envEscape(value)}"\n`;
}
