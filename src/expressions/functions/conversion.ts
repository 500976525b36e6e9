import { fail, floatResult, isObject, str, toText, typeName } from '../values.js';
import { define, type FunctionDef } from './types.js';

function toInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(`${v} is not a whole number`);
    return v;
  }
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) fail(`'${v}' is too large for an integer`);
    return n;
  }
  return fail(`cannot convert ${typeof v === 'string' ? `'${v.slice(0, 50)}'` : typeName(v)} to an integer`);
}

function toFloat(v: unknown): unknown {
  if (typeof v === 'number') return floatResult(v);
  if (typeof v === 'string' && /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n)) return floatResult(n);
  }
  return fail(`cannot convert ${typeof v === 'string' ? `'${v.slice(0, 50)}'` : typeName(v)} to a float`);
}

function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' && /^\s*(true|false)\s*$/i.test(v)) return v.trim().toLowerCase() === 'true';
  return fail(`cannot convert ${typeof v === 'string' ? `'${v.slice(0, 50)}'` : typeName(v)} to a boolean`);
}

function parseJson(v: unknown): unknown {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch (err) {
    return fail(`the string is not valid JSON: ${(err as Error).message}`);
  }
}

function fromBase64(v: unknown): Buffer {
  const s = str(v, 'value').replace(/\s+/g, '');
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) fail('the string is not valid base64');
  return Buffer.from(s, 'base64');
}

/** .NET's Uri.EscapeDataString: everything but the RFC 3986 unreserved characters is escaped. */
export const escapeData = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function unescapeData(v: unknown): string {
  try {
    return decodeURIComponent(str(v, 'value'));
  } catch {
    return fail('the string has a malformed %-escape');
  }
}

function dataUriToString(v: unknown): string {
  const m = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(str(v, 'value'));
  if (!m) fail("the string is not a data URI ('data:…,…')");
  return m[2] ? fromBase64(m[3]).toString('utf8') : unescapeData(m[3]);
}

export const conversionFunctions: FunctionDef[] = [
  define('conversion', 'int(value)', { description: 'The integer version of a string (or number, or boolean).', call: ([v]) => toInt(v) }),
  define('conversion', 'float(value)', { description: 'The floating-point version of a string.', call: ([v]) => toFloat(v) }),
  define('conversion', 'string(value)', { description: 'The value as a string: objects as JSON, null as "".', call: ([v]) => toText(v) }),
  define('conversion', 'bool(value)', { description: "The boolean version: numbers are true unless 0, strings 'true'/'false'.", call: ([v]) => toBool(v) }),
  define('conversion', 'json(value)', { description: 'The JSON value that a string holds.', call: ([v]) => parseJson(v) }),
  define('conversion', 'array(value)', {
    description: 'An array holding the single value (an array is returned as it is).',
    call: ([v]) => (Array.isArray(v) ? v : [v]),
  }),
  define('conversion', 'createArray(...items)', { description: 'An array of the given items.', call: (args) => args }),
  define('conversion', 'base64(value)', { description: 'The base64 encoding of the string (UTF-8).', call: ([v]) => Buffer.from(toText(v), 'utf8').toString('base64') }),
  define('conversion', 'base64ToString(value)', { description: 'The string that a base64 string encodes.', call: ([v]) => fromBase64(v).toString('utf8') }),
  define('conversion', 'decodeBase64(value)', { description: 'Deprecated name of base64ToString.', call: ([v]) => fromBase64(v).toString('utf8') }),
  define('conversion', 'encodeUriComponent(value)', { description: 'The string with URL-unsafe characters escaped.', call: ([v]) => escapeData(toText(v)) }),
  define('conversion', 'uriComponent(value)', { description: 'The string with URL-unsafe characters escaped.', call: ([v]) => escapeData(toText(v)) }),
  define('conversion', 'decodeUriComponent(value)', { description: 'The string with %-escapes decoded.', call: ([v]) => unescapeData(v) }),
  define('conversion', 'uriComponentToString(value)', { description: 'The string with %-escapes decoded.', call: ([v]) => unescapeData(v) }),
  define('conversion', 'dataUri(value)', {
    description: 'A data: URI holding the string.',
    call: ([v]) => `data:text/plain;charset=utf-8;base64,${Buffer.from(toText(v), 'utf8').toString('base64')}`,
  }),
  define('conversion', 'dataUriToString(value)', { description: 'The string that a data: URI holds.', call: ([v]) => dataUriToString(v) }),
  define('manipulation', 'addProperty(object, property, value)', {
    description: 'The object with a new property; fails when it exists.',
    call: ([o, p, v]) => {
      if (!isObject(o)) fail(`expects an object, not ${typeName(o)}`);
      const key = str(p, 'property');
      if (Object.hasOwn(o, key)) fail(`the object already has a property '${key}' (use setProperty to change it)`);
      return { ...o, [key]: v };
    },
  }),
  define('manipulation', 'setProperty(object, property, value)', {
    description: 'The object with the property set.',
    call: ([o, p, v]) => {
      if (!isObject(o)) fail(`expects an object, not ${typeName(o)}`);
      return { ...o, [str(p, 'property')]: v };
    },
  }),
  define('manipulation', 'removeProperty(object, property)', {
    description: 'The object without the property.',
    call: ([o, p]) => {
      if (!isObject(o)) fail(`expects an object, not ${typeName(o)}`);
      const { [str(p, 'property')]: _removed, ...rest } = o;
      return rest;
    },
  }),
];
