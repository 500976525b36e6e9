import type { EvaluationContext } from '../context.js';

export interface CallInfo {
  ctx: EvaluationContext;
  /** Whether argument `i` is a float: the math functions keep Integer and Float apart. */
  isFloat(i: number): boolean;
}

export interface FunctionDef {
  /** Canonical spelling; calls match it case-insensitively, as Logic Apps does. */
  name: string;
  /** Shown by the designer's autocomplete, e.g. `substring(text, startIndex, length?)`. */
  signature: string;
  description: string;
  category: 'string' | 'collection' | 'logical' | 'conversion' | 'math' | 'date' | 'workflow' | 'uri' | 'manipulation';
  min: number;
  max: number;
  /** Called with evaluated arguments. */
  call?(args: unknown[], info: CallInfo): unknown;
  /** Called with unevaluated arguments instead, for functions that must not evaluate them all (`if`, `and`, …). */
  lazy?(args: Array<() => unknown>, info: CallInfo): unknown;
}

type Spec = Omit<FunctionDef, 'name' | 'signature' | 'min' | 'max' | 'category'>;

/** Builds a definition from its signature: `?` marks optional parameters, `...` a variadic tail. */
export function define(category: FunctionDef['category'], signature: string, spec: Spec): FunctionDef {
  const m = /^(\w+)\((.*)\)$/.exec(signature);
  if (!m) throw new Error(`bad signature ${signature}`);
  const params = m[2] ? m[2].split(',').map((p) => p.trim()) : [];
  const min = params.filter((p) => !p.endsWith('?') && !p.startsWith('...')).length;
  const max = params.some((p) => p.startsWith('...')) ? Infinity : params.length;
  return { name: m[1], signature, category, min, max, ...spec };
}
