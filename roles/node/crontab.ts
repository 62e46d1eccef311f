/** /etc/crontab when node_crontab_overwrite: the environment cron needs, a reminder of the fields, then the entries. */
export function crontabContent(entries: string[]): string {
  return [
    'SHELL=/bin/bash',
    'PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin',
    'MAILTO=root',
    '',
    '# Written by Pigsty from node_crontab (node_crontab_overwrite: true): edit the inventory, not this file.',
    '# minute hour day-of-month month day-of-week user command',
    ...entries,
    '',
  ].join('\n');
}
