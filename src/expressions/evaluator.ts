import type { Expr, Template } from './ast.js';
import type { EvaluationContext } from './context.js';
import { ExpressionError, FunctionFailure } from './errors.js';
import { lookupFunction, type CallInfo } from './functions/index.js';
import { FloatValue, MAX_STRING, isObject, toText, typeName, unbox } from './values.js';

/** Errors already carrying their position here; anything else caught is wrapped at the call. */
const located = new WeakSet<ExpressionError>();

function locate(detail: string, source: string, pos: number, fn?: string): ExpressionError {
  const err = new ExpressionError(detail, source, pos, fn);
  located.add(err);
  return err;
}

function describe(err: unknown): string {
  if (err instanceof ExpressionError) return err.detail;
  if (err instanceof FunctionFailure) return err.message;
  if (err instanceof RangeError) return `the value is too large or too deeply nested (${err.message})`;
  return err instanceof Error ? err.message : String(err);
}

class Evaluator {
  constructor(
    private readonly source: string,
    private readonly ctx: EvaluationContext,
  ) {}

  /** The value of `expr`; a whole float may come back as a FloatValue (see values.ts). */
  eval(expr: Expr): unknown {
    switch (expr.type) {
      case 'string':
      case 'boolean':
        return expr.value;
      case 'null':
        return null;
      case 'number':
        return expr.float && Number.isInteger(expr.value) ? new FloatValue(expr.value) : expr.value;
      case 'member':
        return this.member(expr);
      case 'call':
        return this.call(expr);
    }
  }

  private member(expr: Extract<Expr, { type: 'member' }>): unknown {
    const base = unbox(this.eval(expr.object));
    const key = unbox(this.eval(expr.property));
    const shown = typeof key === 'string' ? `'${key.slice(0, 60)}'` : String(key);
    const fail = (detail: string): never => {
      throw locate(detail, this.source, expr.pos);
    };
    if (base === null) {
      if (expr.optional) return null;
      return fail(`cannot select property ${shown} of null (write ?[${shown}] to get null instead)`);
    }
    if (Array.isArray(base)) {
      if (typeof key !== 'number' || !Number.isInteger(key)) return fail(`an array is indexed by an integer, not ${typeName(key)} ${shown}`);
      if (key >= 0 && key < base.length) return base[key] === undefined ? null : base[key];
      if (expr.optional) return null;
      return fail(`index ${key} is out of range: the array has ${base.length} item${base.length === 1 ? '' : 's'}`);
    }
    if (isObject(base)) {
      if (typeof key !== 'string' && typeof key !== 'number') return fail(`an object's property is named by a string, not ${typeName(key)}`);
      const name = String(key);
      if (Object.hasOwn(base, name)) return base[name] === undefined ? null : base[name];
      // Logic Apps matches property names case-insensitively.
      const lower = name.toLowerCase();
      const found = Object.keys(base).find((k) => k.toLowerCase() === lower);
      if (found !== undefined) return base[found] === undefined ? null : base[found];
      if (expr.optional) return null;
      const keys = Object.keys(base);
      const available = keys.length ? `; it has ${keys.slice(0, 20).map((k) => `'${k}'`).join(', ')}${keys.length > 20 ? ', …' : ''}` : '; it has none';
      return fail(`property ${shown} doesn't exist (write ?[${shown}] to get null instead)${available}`);
    }
    return fail(`cannot select property ${shown} of a ${typeName(base)}`);
  }

  private call(expr: Extract<Expr, { type: 'call' }>): unknown {
    const fn = lookupFunction(expr.name);
    if (!fn) throw locate(`'${expr.name}' is not a known function`, this.source, expr.pos, expr.name);
    let floats: boolean[] = [];
    const info: CallInfo = { ctx: this.ctx, isFloat: (i) => floats[i] === true };
    try {
      if (fn.lazy) return fn.lazy(expr.args.map((a) => () => this.eval(a)), info);
      const raw = expr.args.map((a) => this.eval(a));
      floats = raw.map((v) => v instanceof FloatValue);
      return fn.call!(raw.map(unbox), info);
    } catch (err) {
      if (err instanceof ExpressionError && located.has(err)) throw err;
      throw locate(describe(err), this.source, expr.pos, fn.name);
    }
  }
}

/** Evaluates a parsed template; a whole-value expression keeps its type, interpolation is a string. */
export function evaluateTemplate(template: Template, ctx: EvaluationContext): unknown {
  try {
    return evaluate(template, ctx);
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    throw new ExpressionError(describe(err), template.source, 0);
  }
}

function evaluate(template: Template, ctx: EvaluationContext): unknown {
  if (template.kind === 'literal') return template.value;
  const evaluator = new Evaluator(template.source, ctx);
  if (template.kind === 'expression') return unbox(evaluator.eval(template.expr));
  let out = '';
  for (const part of template.parts) {
    out += 'text' in part ? part.text : toText(unbox(evaluator.eval(part.expr)));
    if (out.length > MAX_STRING) throw locate(`the result is longer than ${MAX_STRING} characters`, template.source, 'pos' in part ? part.pos : 0);
  }
  return out;
}
