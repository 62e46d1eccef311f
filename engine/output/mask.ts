import { envEscape, shq } from '../shell-quote.ts';
import type { EventSink, RunEvent } from './events.ts';

/** Variable names whose values are secrets wherever they appear. */
const SECRET_NAME = /(pass(word|wd)?|secret|token|credential|private_?key)$|(^|_)key$/i;
const MASK = '********';
/**
 * Long values with a digit or punctuation in them are masked wherever they occur, even inside other text: such a
 * string does not occur by chance. Shorter values and plain words (letters only, e.g. `pgbackrest`) are masked as
 * whole tokens only, so that masking them does not wreck the words and paths that happen to contain them.
 */
const ANYWHERE_MIN_LENGTH = 8;
/** A URL's userinfo: the password between `user:` and the last `@` of the authority. */
const URL_USERINFO = /([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/:@]*:)([^\s/]*)@/g;
/** A password given as a URI parameter (libpq's password= and sslpassword=), in a URL's query or a parameter list. */
const URL_QUERY_PASSWORD = /((?:^|[?&])(?:ssl)?password=)([^&\s"'#]*)/gi;

/**
 * A command line flag and its value in an options string (`-httpAuth.password=x`, `--web.password x`): Go's flag
 * package and kingpin take the value after `=` or as the next word.
 */
const FLAG_VALUE = /(?:^|\s)--?([A-Za-z0-9][A-Za-z0-9_.-]*)(?:=(\S*)|\s+([^\s-]\S*))/g;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a variable of this name holds a secret (`*password`, `*secret`, `*token`, `*_key`, `private_key`, ...). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * Whether a command line flag carries a secret: named as a secret variable is, or with a password or an auth key
 * anywhere in its name (VictoriaMetrics' -httpAuth.password, -snapshotAuthKey), but not a file's path
 * (-remoteWrite.basicAuth.passwordFile), which says where the secret is, not what.
 */
function isSecretFlag(name: string): boolean {
  return !/file$/i.test(name) && (isSecretName(name) || /password|authkey/i.test(name));
}

/**
 * The pattern of one secret. A whole-token match needs, at each end of the value that is a word character, a
 * neighbour that is neither a word character nor part of a path or dotted name (`/`, or a `.` joined to a word
 * character): `pgbackrest` is masked in `--repo1-s3-key=pgbackrest` and `"pgbackrest"`, not in
 * `/etc/pgbackrest/pgbackrest.conf`.
 */
function patternOf(form: string): string {
  const body = escapeRegExp(form);
  if (form.length >= ANYWHERE_MIN_LENGTH && !/^[A-Za-z]+$/.test(form)) return body;
  const left = /^\w/.test(form) ? '(?<![\\w/])(?<!\\w\\.)' : '';
  const right = /\w$/.test(form) ? '(?![\\w/])(?!\\.\\w)' : '';
  return `${left}${body}${right}`;
}

/** A quoted scalar's value as YAML (or JSON) reads it, as far as the text is readable; anything else as it is. */
function unquoted(raw: string): string {
  if (raw.startsWith("'")) return raw.replace(/^'|'$/g, '').replace(/''/g, "'");
  if (!raw.startsWith('"')) return raw;
  try {
    return JSON.parse(raw.endsWith('"') && raw.length > 1 ? raw : `${raw}"`) as string;
  } catch {
    return raw.replace(/^"|"$/g, '');
  }
}

/** Collects secret values and scrubs them from any text or event before it is shown or written. */
export class Masker {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;

  /**
   * Remember a value that must never be shown; a list or mapping under a secret name is secret as a whole, except
   * the numbers of a mapping (a registered result's rc: 0 would hide every 0).
   */
  add(value: unknown, inMapping = false): void {
    if (Array.isArray(value)) value.forEach((v) => this.add(v, inMapping));
    else if (value && typeof value === 'object') Object.values(value).forEach((v) => this.add(v, true));
    else if (typeof value === 'string') this.addText(value);
    else if ((typeof value === 'number' || typeof value === 'bigint') && !inMapping) this.addText(String(value));
  }

  /**
   * The value as written, JSON-escaped (non-ASCII too), shell-quoted, as a .pgpass field, and inside a quoted literal
   * of SQL or YAML (quotes doubled, and backslashes too in PostgreSQL's E'' form: an error can quote the statement),
   * and so each line of a multi-line value (a key in a diff) on its own; lines too short or too plain to be secret (`{`, `}`) are left to the whole value.
   */
  private addText(value: string): void {
    const lines = value.split(/\r?\n/).map((l) => l.trim());
    const parts = lines.length > 1 ? [value, ...lines.filter((l) => l.length >= 4 && /[A-Za-z0-9]/.test(l))] : [value];
    const doubled = (p: string) => [p.replace(/'/g, "''"), p.replace(/\\/g, '\\\\').replace(/'/g, "''")];
    // JSON with non-ASCII escaped (as Python's json.dumps and the templates' to_json write it), and a .pgpass field.
    const ascii = (p: string) =>
      JSON.stringify(p)
        .slice(1, -1)
        .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const pgpass = (p: string) => p.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    // envEscape: inside the double quotes of a systemd EnvironmentFile line (the infra services' options).
    for (const form of parts.flatMap((p) => [p, JSON.stringify(p).slice(1, -1), shq(p), ...doubled(p), ascii(p), pgpass(p), envEscape(p)])) {
      if (form.trim() === '' || this.forms.has(form)) continue;
      this.forms.add(form);
      this.pattern = undefined;
    }
  }

  /**
   * Walk variables and remember every value held under a secret-looking name at any depth, and, whatever the
   * variable's name, the password of every URL with credentials and the value of every secret flag in a string of
   * command line options (vmalert_options: -remoteWrite.basicAuth.password=...).
   */
  collect(vars: unknown): void {
    if (typeof vars === 'string') {
      for (const m of vars.matchAll(URL_USERINFO)) this.add(m[2]);
      for (const m of vars.matchAll(URL_QUERY_PASSWORD)) if (m[2]) this.add(m[2]);
      for (const m of vars.matchAll(FLAG_VALUE)) if (isSecretFlag(m[1] as string)) this.add(m[2] ?? m[3]);
    } else if (Array.isArray(vars)) {
      vars.forEach((v) => this.collect(v));
    } else if (vars && typeof vars === 'object') {
      for (const [key, value] of Object.entries(vars)) {
        if (isSecretName(key)) this.add(value);
        this.collect(value);
      }
    }
  }

  /**
   * Remember secrets from text that may not parse (a YAML file with a syntax error, a malformed -e argument):
   * every `name: value` or `name=value` whose name looks secret, the value up to a separator of its form.
   */
  collectText(text: string): void {
    this.collect(text);
    const assignment = /([A-Za-z0-9_]+)["']?[ \t]*(?::(?=[\s"'])|=)[ \t]*("(?:[^"\\\n]|\\.)*"?|'(?:[^'\n]|'')*'?|[^\n#,}\]]*)/g;
    for (const m of text.matchAll(assignment)) {
      if (!isSecretName(m[1] as string)) continue;
      const raw = (m[2] as string).trim();
      this.add(raw);
      this.add(unquoted(raw));
    }
  }

  mask(text: string): string {
    const out = text
      .replace(URL_USERINFO, `$1${MASK}@`)
      .replace(URL_QUERY_PASSWORD, (_m, key: string, value: string) => (value ? `${key}${MASK}` : key));
    if (this.forms.size === 0) return out;
    // Longest first, so a secret that contains another is replaced whole.
    this.pattern ??= new RegExp(
      [...this.forms]
        .sort((a, b) => b.length - a.length)
        .map(patternOf)
        .join('|'),
      'g',
    );
    return out.replace(this.pattern, MASK);
  }

  /** A deep copy of a value with every string scrubbed. */
  scrub<T>(value: T): T {
    if (typeof value === 'string') return this.mask(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.scrub(v)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.scrub(v)])) as T;
    }
    return value;
  }

  /** A sink that scrubs every event before passing it on. */
  wrap(sink: EventSink): EventSink {
    return { emit: (event: RunEvent) => sink.emit(this.scrub(event)), close: () => sink.close() };
  }
}
