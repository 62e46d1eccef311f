import { Type, type Static } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed } from '../engine/module.ts';
import { parseStat, planContent, sha256, STAT_FN, type FileRead } from './file-state.ts';
import { AccountName, PresentAbsent } from './group.ts';

export const CronArgs = Type.Object(
  {
    /** Names the block of lines Pigsty owns in the file, between "# BEGIN pigsty: <name>" and "# END pigsty: <name>". */
    name: Type.String({ pattern: '^[A-Za-z0-9_.@:-]+$', description: 'block name (letters, digits, _ . @ : -)' }),
    /** Whole crontab lines: "min hour dom mon dow [user] command", @reboot forms, VAR=value or comments. [] removes the block. */
    lines: Type.Optional(Type.Array(Type.String({ pattern: '^[^\\n]*\\S[^\\n]*$' }), { default: [] })),
    /** Manage this user's crontab (lines without a user field) instead of a system crontab file. */
    user: Type.Optional(AccountName),
    /** The system crontab file (lines with a user field); /etc/crontab by default. */
    path: Type.Optional(Type.String({ pattern: '^/', description: 'absolute path such as /etc/crontab or /etc/cron.d/pigsty' })),
    state: Type.Optional(PresentAbsent),
  },
  { additionalProperties: false },
);

type Cron = Static<typeof CronArgs>;

const begin = (name: string): string => `# BEGIN pigsty: ${name}`;
const end = (name: string): string => `# END pigsty: ${name}`;

/** Fail on a job line that lacks fields: five times (or an @special), then the user in system files, then a command. */
export function checkLines(lines: string[], system: boolean): void {
  lines.forEach((line, index) => {
    const text = line.trim();
    if (text.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(text)) return;
    const fields = text.split(/\s+/);
    const times = fields[0]?.startsWith('@') ? 1 : 5;
    const wanted = times + (system ? 1 : 0) + 1;
    const timesOk = times === 1 || fields.slice(0, 5).every((f) => /^[0-9*/,A-Za-z-]+$/.test(f));
    if (fields.length < wanted || !timesOk) {
      const layout = `${times === 1 ? '@special' : 'min hour dom mon dow'}${system ? ' user' : ''} command`;
      throw new ModuleFailure(`cron: line ${index + 1} "${text}" is not "${layout}"`);
    }
  });
}

/** The file's text with the named block set to `lines` (appended when new), or removed when lines is empty. */
export function updateBlock(current: string, name: string, lines: string[]): string {
  if (lines.length === 0 && !current.split('\n').includes(begin(name))) return current;
  const text = current === '' || current.endsWith('\n') ? current : `${current}\n`;
  const all = text === '' ? [] : text.slice(0, -1).split('\n');
  const first = all.indexOf(begin(name));
  const last = first < 0 ? -1 : all.indexOf(end(name), first);
  const block = lines.length ? [begin(name), ...lines, end(name)] : [];
  // A managed line also present outside the block (say from an earlier lineinfile) would run twice.
  const outside = (line: string, at: number): boolean => !(lines.includes(line) && (first < 0 || at < first || at > last));
  let result: string[];
  if (first >= 0 && last >= 0) {
    result = [...all.slice(0, first).filter(outside), ...block, ...all.slice(last + 1).filter((l, i) => outside(l, last + 1 + i))];
  } else {
    result = [...all.filter(outside), ...block];
  }
  return result.length ? `${result.join('\n')}\n` : '';
}

/** One command: which file (a user's spool file, found by the distribution's layout, or the system file) and its state and bytes. */
function readCommand(args: Cron): string {
  const locate = args.user === undefined ? [`file=${shq(args.path ?? '/etc/crontab')}`, 'owner=root', 'grp=root'] : spoolLocate(args.user);
  return [
    STAT_FN,
    ...locate,
    `printf 'ok\\0%s\\0%s\\0%s\\0' "$file" "$owner" "$grp"`,
    'st "$file"',
    `if [ -f "$file" ] && [ ! -L "$file" ]; then base64 -w0 < "$file"; fi`,
  ].join('\n');
}

/** Debian keeps user crontabs in /var/spool/cron/crontabs (group crontab), EL in /var/spool/cron (the user's group). */
function spoolLocate(user: string): string[] {
  const u = shq(user);
  return [
    `id -- ${u} >/dev/null 2>&1 || { echo nouser; exit 0; }`,
    `if [ -d /var/spool/cron/crontabs ]; then file=/var/spool/cron/crontabs/${u}; grp=crontab;`,
    `elif [ -d /var/spool/cron ]; then file=/var/spool/cron/${u}; grp=$(id -gn -- ${u});`,
    'else echo nocron; exit 0; fi',
    `owner=${u}`,
  ];
}

/** Keep a named block of lines in /etc/crontab (or another system crontab) or in a user's crontab. */
export const cron = defineModule({
  name: 'cron',
  concurrentPlans: true,
  args: CronArgs,
  async plan(ctx, args) {
    if (args.user !== undefined && args.path !== undefined)
      throw new ModuleFailure('cron: give "user" (a user crontab) or "path" (a system crontab), not both');
    const lines = args.state === 'absent' ? [] : (args.lines ?? []);
    checkLines(lines, args.user === undefined);
    const out = mustSucceed(await ctx.run(readCommand(args)), `reading the crontab of ${args.user ?? args.path ?? '/etc/crontab'}`).stdout;
    const [status = '', path = '', owner = '', group = '', statLine = '', data64 = ''] = out.split('\0');
    if (status.trim() !== 'ok') {
      const problem =
        status.trim() === 'nouser'
          ? `user ${args.user} does not exist`
          : 'cron is not installed (neither /var/spool/cron/crontabs nor /var/spool/cron exists)';
      // In check mode the task that creates the user or installs cron did not really run.
      if (!ctx.check) throw new ModuleFailure(`cron: ${problem}`);
      return { changed: lines.length > 0, summary: `would write cron block ${args.name}`, warnings: [`cron: ${problem}`] };
    }
    const known: FileRead = { path, state: parseStat(`${statLine}\0`) };
    if (known.state.kind === 'file') {
      known.content = Buffer.from(data64.trim(), 'base64');
      known.state.sha256 = sha256(known.content);
    }
    const current = known.content?.toString('utf8') ?? '';
    const content = updateBlock(current, args.name, lines);
    const data = { path, name: args.name, lines };
    if (known.state.kind === 'absent' && content === '') return { changed: false, data };
    const had = current.split('\n').includes(begin(args.name));
    const what = lines.length ? `${had ? 'update' : 'add'} block ${args.name}` : `remove block ${args.name}`;
    const plan = await planContent(ctx, { dest: path, content, owner, group, mode: args.user === undefined ? 0o644 : 0o600, what }, known);
    return { ...plan, data };
  },
});
