/** Quote a value for POSIX sh so it is always one literal word. Roles and modules build their commands with it. */
export function shq(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}
