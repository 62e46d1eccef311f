import { shq } from '../engine/shell-quote.ts';
import { dsl, type Task, type TaskOptions, type TaskResult } from '../engine/dsl.ts';
import { shell } from '../modules/shell.ts';

/**
 * A reload that a run owes a service survives the run: each service has a stamp file, touched after a role
 * (re)started or reloaded it, and a config file newer than the stamp is a change the running service has not
 * loaded yet (written by a run that failed or was interrupted before its reload). The stamps live in a
 * root-owned directory under /var/lib, so they survive a reboot (which restarts the services anyway: at worst one
 * extra reload) and no service user can forge them.
 */
export const RELOAD_STAMP_DIR = '/var/lib/pigsty/loaded';

/** What the read prints when the service never got a stamp (a host deployed before stamps): one reload is owed. */
export const NO_STAMP = 'no stamp';

const stampPath = (service: string): string => `${RELOAD_STAMP_DIR}/${service}`;

/** Shell listing the config files (and entries of config directories) newer than the service's stamp, or NO_STAMP. */
export function pendingScript(service: string, files: string[]): string {
  const stamp = shq(stampPath(service));
  return `if [ -e ${stamp} ]; then find ${files.map(shq).join(' ')} -maxdepth 1 -newer ${stamp} 2>/dev/null; else echo ${shq(NO_STAMP)}; fi; true`;
}

/** Shell recording that the service loaded its configuration just now. */
export function stampCommand(service: string): string {
  return `install -d -o root -g root -m 0700 ${shq(RELOAD_STAMP_DIR)} && touch ${shq(stampPath(service))}`;
}

/** The lines of a pending read: the config paths changed since the service last loaded them (and NO_STAMP). */
export const pendingFiles = (result: TaskResult | undefined): string[] =>
  String(result?.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Whether a pending read shows a reload owed: a file the service has not loaded, or no stamp at all. */
export const reloadPending = (result: TaskResult | undefined): boolean => pendingFiles(result).length > 0;

/** Whether one of these files is among those the service has not loaded (NO_STAMP names none). */
export const pendingAmong = (result: TaskResult | undefined, files: string[]): boolean => pendingFiles(result).some((f) => files.includes(f));

/** Read which config files the service has not loaded yet; runs in check mode too, so a dry run reports the owed reload. */
export function pendingReadTask<V>(name: string, service: string, files: (v: V) => string[], options: TaskOptions<V>): Task<V> {
  return dsl<V>().task(name, shell, (v) => ({ cmd: pendingScript(service, files(v)) }), { ...options, check_mode: false, changed_when: () => false });
}

/** Touch the stamp after a (re)start or reload; the change is the reload's, so this step reports none. */
export function stampTask<V>(name: string, service: string, options: TaskOptions<V>): Task<V> {
  return dsl<V>().task(name, shell, { cmd: stampCommand(service) }, { ...options, changed_when: () => false });
}

/**
 * Whether PostgreSQL runs on older configuration than its files, from `psql -c 'SELECT extract(epoch FROM
 * pg_conf_load_time())'` followed by `stat -c %.9Y FILE...`: a file modified after the server last loaded its
 * configuration (at start or reload) holds rules or settings not in force. The server itself says when it loaded
 * them, so no stamp is needed; output that does not parse (server down) owes nothing a reload could give.
 */
export function postgresReloadPending(stdout: string): boolean {
  const [loaded, ...mtimes] = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(Number);
  if (loaded === undefined || !Number.isFinite(loaded)) return false;
  return mtimes.some((m) => Number.isFinite(m) && m > loaded);
}
