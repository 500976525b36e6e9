import { FunctionFailure } from './errors.js';

/**
 * A float whose value is whole (`2.0`, `float('3')`, `mul(1.5, 2)`). JavaScript has one
 * number type, but Logic Apps keeps Integer and Float apart: `div(11, 5)` is 2 while
 * `div(11, 5.0)` is 2.2. Only the evaluator and the math functions ever see this box;
 * every value leaving the language is a plain number.
 */
export class FloatValue {
  constructor(readonly value: number) {}
}

export const unbox = (v: unknown): unknown => (v instanceof FloatValue ? v.value : v === undefined ? null : v);

/** A math result: boxed when it is a float that JavaScript would take for an integer. */
export const floatResult = (n: number): unknown => (Number.isInteger(n) ? new FloatValue(n) : n);

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function fail(message: string): never {
  throw new FunctionFailure(message);
}

/** Type names as Logic Apps' error messages spell them. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'Null';
  if (typeof v === 'string') return 'String';
  if (typeof v === 'boolean') return 'Boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'Float';
  if (Array.isArray(v)) return 'Array';
  return 'Object';
}

/**
 * A value as text, as Logic Apps renders it in `@{…}` and `string()`: null is empty,
 * booleans are .NET's `True`/`False`, objects and arrays are compact JSON.
 */
export function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

/** `equals()`: deep structural equality; a boolean equals the number 1 or 0 as in Logic Apps. */
export function deepEquals(a: unknown, b: unknown): boolean {
  a = unbox(a);
  b = unbox(b);
  if (a === b) return true;
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEquals(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEquals(a[k], b[k]));
  }
  return false;
}

export function str(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(`${what} must be a string, not ${typeName(v)}`);
  return v;
}

export function num(v: unknown, what: string): number {
  if (typeof v !== 'number') fail(`${what} must be a number, not ${typeName(v)}`);
  return v;
}

export function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(`${what} must be an integer, not ${typeName(v)}${typeof v === 'number' ? ` ${v}` : ''}`);
  return v;
}

/** Results longer than this fail, as in Logic Apps (and so a run cannot exhaust memory). */
export const MAX_STRING = 104_857_600;

export function capped(s: string): string {
  if (s.length > MAX_STRING) fail(`the result would be ${s.length} characters, more than the limit of ${MAX_STRING}`);
  return s;
}
