import type { EventSink, RunEvent } from './events.ts';

/** Variable names whose values are secrets wherever they appear. */
const SECRET_NAME = /(pass(word|wd)?|secret|token|credential|private_?key)$|(^|_)key$/i;
const MASK = '********';
/** Shorter values would mask ordinary words; such a secret is not worth the name. */
const MIN_SECRET_LENGTH = 4;

/** Collects secret values and scrubs them from any text or event before it is shown or written. */
export class Masker {
  private readonly secrets = new Set<string>();

  /** Remember a value that must never be shown. */
  add(value: unknown): void {
    if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) this.secrets.add(value);
    if (typeof value === 'number' && String(value).length >= MIN_SECRET_LENGTH) this.secrets.add(String(value));
  }

  /** Walk variables and remember every value held under a secret-looking name, at any depth. */
  collect(vars: unknown): void {
    if (Array.isArray(vars)) {
      vars.forEach((v) => this.collect(v));
    } else if (vars && typeof vars === 'object') {
      for (const [key, value] of Object.entries(vars)) {
        if (SECRET_NAME.test(key)) this.add(value);
        if (value && typeof value === 'object') this.collect(value);
      }
    }
  }

  mask(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK);
    return out;
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
