/** Where an error happened: every field that is known is filled, so a reader can go straight there. */
export interface ErrorContext {
  host?: string;
  play?: string;
  task?: string;
  module?: string;
  file?: string;
  line?: number;
  column?: number;
  /** A dotted path into a YAML document or an argument object, e.g. all.children.pg-test.vars.pg_role. */
  path?: string;
}

/** An error as a value: a message plus the context that locates it. */
export class EngineError extends Error {
  readonly context: ErrorContext;
  readonly expected: string | undefined;

  constructor(message: string, context: ErrorContext = {}, expected?: string) {
    super(message);
    this.name = 'EngineError';
    this.context = context;
    this.expected = expected;
  }

  /** One line a person or a program can act on: "file:line: path: message (expected ...)". */
  describe(): string {
    const c = this.context;
    const where: string[] = [];
    if (c.file) where.push(c.line ? `${c.file}:${c.line}${c.column ? `:${c.column}` : ''}` : c.file);
    if (c.host) where.push(`host ${c.host}`);
    if (c.play) where.push(`play "${c.play}"`);
    if (c.task) where.push(`task "${c.task}"`);
    if (c.module) where.push(`module ${c.module}`);
    if (c.path) where.push(c.path);
    const head = where.length ? `${where.join(': ')}: ` : '';
    return `${head}${this.message}${this.expected ? ` (expected ${this.expected})` : ''}`;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.message, expected: this.expected, ...this.context };
  }
}

/** Several errors found together, reported at once before anything runs. */
export class EngineErrors extends Error {
  readonly errors: EngineError[];
  constructor(errors: EngineError[]) {
    super(errors.map((e) => e.describe()).join('\n'));
    this.name = 'EngineErrors';
    this.errors = errors;
  }
}

/** A finding that is only a warning unless the run is strict (--strict), e.g. a secret left at a published default. */
export class Advisory extends EngineError {
  constructor(message: string, context: ErrorContext = {}, expected?: string) {
    super(message, context, expected);
    this.name = 'Advisory';
  }
}
