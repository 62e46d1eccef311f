import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { EngineError, type ErrorContext } from './errors.ts';
import type { Module } from './module.ts';

const Ajv = AjvModule.default ?? AjvModule;
// Compiling is most of a short run's CPU: the schemas are TypeBox's, so ajv need not check them against the
// meta-schema (itself a compile), and its optimizing pass over the generated code costs more than it saves once.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, validateSchema: false, code: { optimize: false } });
const compiled = new WeakMap<Module, ValidateFunction>();

function describe(error: ErrorObject, args: unknown): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'additionalProperties') {
    return `unknown argument "${[path, error.params.additionalProperty].filter(Boolean).join('.')}"`;
  }
  if (error.keyword === 'required') {
    return `missing required argument "${[path, error.params.missingProperty].filter(Boolean).join('.')}"`;
  }
  const got = path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), args);
  const allowed = error.keyword === 'enum' ? `: one of ${(error.params.allowedValues as unknown[]).join(', ')}` : '';
  return `argument "${path}" ${error.message}${allowed} (got ${JSON.stringify(got)})`;
}

/** Validate (and default) a module's arguments against its schema; an error names module, task and argument. */
export function checkArgs(module: Module, args: unknown, context: ErrorContext): EngineError | undefined {
  let validate = compiled.get(module);
  if (!validate) {
    validate = ajv.compile(module.args);
    compiled.set(module, validate);
  }
  if (validate(args)) return undefined;
  const messages = (validate.errors ?? []).map((e) => describe(e, args));
  return new EngineError(`invalid arguments: ${messages.join('; ')}`, { ...context, module: module.name });
}
