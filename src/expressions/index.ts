/**
 * The Logic Apps workflow definition language: `@expr` values, `@{…}` interpolation, `@@`
 * escapes and the common functions. Pure: it sees a run only through EvaluationContext.
 */
import type { Template } from './ast.js';
import type { EvaluationContext } from './context.js';
import { ExpressionError } from './errors.js';
import { evaluateTemplate } from './evaluator.js';
import { parseTemplate } from './parser.js';

export type { Expr, Template, TemplatePart } from './ast.js';
export type { EvaluationContext } from './context.js';
export { ExpressionError } from './errors.js';
export { evaluateTemplate } from './evaluator.js';
export { listFunctions, type FunctionInfo } from './functions/index.js';
export { parseExpression, parseTemplate } from './parser.js';

/** Workflows evaluate the same strings on every run; parsing once is enough. Errors are cached too. */
const cache = new Map<string, Template | ExpressionError>();
const CACHE_LIMIT = 10_000;

function template(value: string): Template {
  let t = cache.get(value);
  if (t === undefined) {
    try {
      t = parseTemplate(value);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      t = err;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(value, t);
  }
  if (t instanceof ExpressionError) throw t;
  return t;
}

/** Whether a definition string holds an expression (`@…` or `@{…}`), as opposed to plain text. */
export function isExpression(value: string): boolean {
  try {
    return template(value).kind !== 'literal';
  } catch {
    return true;
  }
}

/**
 * A copy of `value` (any JSON) with every string that is an expression or an interpolation
 * evaluated. Throws ExpressionError only.
 */
export function evaluateValue(value: unknown, ctx: EvaluationContext): unknown {
  if (typeof value === 'string') return evaluateTemplate(template(value), ctx);
  if (Array.isArray(value)) return value.map((v) => evaluateValue(v, ctx));
  if (typeof value === 'object' && value !== null) {
    // fromEntries defines own properties, so a "__proto__" key stays data.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluateValue(v, ctx)]));
  }
  return value;
}

const segment = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `['${key.replace(/'/g, "\\'")}']`);

/**
 * Every bad expression inside `value`, with its JSON path below `path` and a message naming
 * the position (and the function, for unknown names and wrong argument counts). Never throws.
 */
export function findExpressionProblems(value: unknown, path: string): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const seen = new Set<object>();
  const walk = (v: unknown, at: string): void => {
    if (typeof v === 'string') {
      try {
        template(v);
      } catch (err) {
        problems.push({ path: at, message: err instanceof Error ? err.message : String(err) });
      }
    } else if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return;
      seen.add(v);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
      else for (const [k, x] of Object.entries(v)) walk(x, `${at}${segment(k)}`);
    }
  };
  try {
    walk(value, path);
  } catch (err) {
    problems.push({ path, message: `cannot be checked: ${err instanceof Error ? err.message : String(err)}` });
  }
  return problems;
}
