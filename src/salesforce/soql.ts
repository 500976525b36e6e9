/**
 * The pieces of SOQL that smtpflow writes, each one safe by construction: every string literal
 * goes through `soqlString` (Salesforce's documented escape sequences), every name through
 * `soqlName` (letters, digits, underscores; dots for relationships), every instant through
 * `soqlDateTime`. jsforce builds SOQL from objects but offers no escaping of user-written filters,
 * hence this file.
 */

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A quoted SOQL string literal: `O'Brien \ Sons` → `'O\'Brien \\ Sons'`. */
export function soqlString(value: string): string {
  return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (c) => ESCAPES[c])}'`;
}

/** A LIKE pattern matching `value` literally, with `%` around as asked: `_` and `%` in the value are escaped too. */
export function soqlLike(value: string, { prefix, suffix }: { prefix: boolean; suffix: boolean }): string {
  const literal = soqlString(value).slice(1, -1).replace(/[%_]/g, (c) => `\\${c}`);
  return `'${prefix ? '%' : ''}${literal}${suffix ? '%' : ''}'`;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

export const isSoqlName = (name: string): boolean => NAME.test(name) && name.length <= 255;

/** A field or object name, refused (not quoted: SOQL cannot quote names) when it is anything else. */
export function soqlName(name: string): string {
  if (!isSoqlName(name)) throw new SoqlError(`'${name}' is not a Salesforce field or object name (letters, digits and underscores, e.g. Email or Industry__c; dots for relationships, e.g. Owner.Name)`);
  return name;
}

/** A dateTime literal, unquoted as SOQL wants it, to the second (Salesforce keeps CreatedDate to the second). */
export function soqlDateTime(instant: string | number | Date): string {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) throw new SoqlError(`'${String(instant)}' is not a date and time`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class SoqlError extends Error {}
