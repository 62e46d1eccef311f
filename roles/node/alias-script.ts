/** /etc/profile.d/node.alias.sh for node_aliases. */
export function aliasScript(aliases: Record<string, string>): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;
  // The name is written unquoted (a quoted one is not an alias name): one with ; or a newline would run at every login.
  const name = (k: string) => {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.:+@%-]*$/.test(k))
      throw new Error(`node_aliases: ${JSON.stringify(k)} is not an alias name (letters, digits and _ . : + @ % -)`);
    return k;
  };
  return [
    '# shell aliases from node_aliases, written by Pigsty',
    ...Object.entries(aliases).map(([k, cmd]) => `alias ${name(k)}=${quote(cmd)}`),
    '',
  ].join('\n');
}
