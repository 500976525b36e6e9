/**
 * The part of SOQL the Salesforce trigger sends, parsed the way Salesforce's documentation
 * defines it (SOQL SELECT syntax, "Quoted String Escape Sequences", "Date Formats and Date
 * Literals"): SELECT fields FROM object [WHERE condition] [ORDER BY field [ASC|DESC], …]
 * [LIMIT n]. The fake org evaluates the parsed WHERE against its records, so a query that
 * escapes a literal wrongly either fails to parse (MALFORMED_QUERY) or matches other records.
 */

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' }
  | { type: 'datetime'; value: number }
  | { type: 'date'; value: string };

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; inner: Condition }
  | { kind: 'compare'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE'; value: Literal };

export interface SoqlQuery {
  fields: string[];
  object: string;
  where?: Condition;
  orderBy: Array<{ field: string; desc: boolean }>;
  limit?: number;
}

export class SoqlSyntaxError extends Error {}

type Token = { kind: 'word' | 'punct' | 'op' | 'number' | 'datetime' | 'date'; text: string } | { kind: 'string'; value: string };

const UNESCAPE: Record<string, string> = { n: '\n', N: '\n', r: '\r', R: '\r', t: '\t', T: '\t', b: '\b', B: '\b', f: '\f', F: '\f', '"': '"', "'": "'", '\\': '\\' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if (/^\s/.test(rest)) {
      i++;
    } else if (rest[0] === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new SoqlSyntaxError(`unterminated string at ${i}`);
        const c = text[j];
        if (c === "'") break;
        if (c === '\\') {
          const next = text[j + 1];
          if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) {
            value += String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          // \_ and \% keep their backslash: they mean something only to LIKE.
          if (next === '_' || next === '%') value += `\\${next}`;
          else if (next !== undefined && UNESCAPE[next] !== undefined) value += UNESCAPE[next];
          else throw new SoqlSyntaxError(`invalid escape sequence \\${next ?? ''} at ${j}`);
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      tokens.push({ kind: 'string', value });
      i = j + 1;
    } else if ((m = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})/.exec(rest))) {
      tokens.push({ kind: 'datetime', text: m[0] });
      i += m[0].length;
    } else if ((m = /^\d{4}-\d{2}-\d{2}(?![\w:])/.exec(rest))) {
      tokens.push({ kind: 'date', text: m[0] });
      i += m[0].length;
    } else if ((m = /^-?\d+(?:\.\d+)?/.exec(rest))) {
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if ((m = /^(?:!=|<>|<=|>=|=|<|>)/.exec(rest))) {
      tokens.push({ kind: 'op', text: m[0] === '<>' ? '!=' : m[0] });
      i += m[0].length;
    } else if ((m = /^[(),]/.exec(rest))) {
      tokens.push({ kind: 'punct', text: m[0] });
      i++;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest))) {
      tokens.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    } else {
      throw new SoqlSyntaxError(`unexpected character '${rest[0]}' at ${i}`);
    }
  }
  return tokens;
}

export function parseSoql(text: string): SoqlQuery {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isWord = (w: string): boolean => {
    const t = peek();
    return t !== undefined && t.kind === 'word' && t.text.toUpperCase() === w;
  };
  const expectWord = (w: string): void => {
    if (!isWord(w)) throw new SoqlSyntaxError(`expected ${w}`);
    pos++;
  };
  const name = (): string => {
    const t = peek();
    if (!t || t.kind !== 'word') throw new SoqlSyntaxError('expected a name');
    pos++;
    return t.text;
  };
  const punct = (p: string): boolean => {
    const t = peek();
    if (t && t.kind === 'punct' && t.text === p) {
      pos++;
      return true;
    }
    return false;
  };

  expectWord('SELECT');
  const fields = [name()];
  while (punct(',')) fields.push(name());
  expectWord('FROM');
  const object = name();

  const literal = (): Literal => {
    const t = peek();
    pos++;
    if (!t) throw new SoqlSyntaxError('expected a value');
    if (t.kind === 'string') return { type: 'string', value: t.value };
    if (t.kind === 'number') return { type: 'number', value: Number(t.text) };
    if (t.kind === 'datetime') return { type: 'datetime', value: Date.parse(t.text) };
    if (t.kind === 'date') return { type: 'date', value: t.text };
    if (t.kind === 'word' && /^(true|false)$/i.test(t.text)) return { type: 'boolean', value: t.text.toLowerCase() === 'true' };
    if (t.kind === 'word' && /^null$/i.test(t.text)) return { type: 'null' };
    throw new SoqlSyntaxError(`expected a value, found '${t.text}'`);
  };
  const primary = (): Condition => {
    if (punct('(')) {
      const inner = or();
      if (!punct(')')) throw new SoqlSyntaxError("expected ')'");
      return inner;
    }
    if (isWord('NOT')) {
      pos++;
      return { kind: 'not', inner: primary() };
    }
    const field = name();
    const t = peek();
    let op: Extract<Condition, { kind: 'compare' }>['op'];
    if (t && t.kind === 'op') op = t.text as typeof op;
    else if (isWord('LIKE')) op = 'LIKE';
    else throw new SoqlSyntaxError(`expected an operator after ${field}`);
    pos++;
    const value = literal();
    if (op === 'LIKE' && value.type !== 'string') throw new SoqlSyntaxError('LIKE needs a string');
    return { kind: 'compare', field, op, value };
  };
  const and = (): Condition => {
    let left = primary();
    while (isWord('AND')) {
      pos++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): Condition => {
    let left = and();
    while (isWord('OR')) {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };

  const query: SoqlQuery = { fields, object, orderBy: [] };
  if (isWord('WHERE')) {
    pos++;
    query.where = or();
  }
  if (isWord('ORDER')) {
    pos++;
    expectWord('BY');
    do {
      const field = name();
      let desc = false;
      if (isWord('ASC')) pos++;
      else if (isWord('DESC')) {
        pos++;
        desc = true;
      }
      query.orderBy.push({ field, desc });
    } while (punct(','));
  }
  if (isWord('LIMIT')) {
    pos++;
    const t = peek();
    if (!t || t.kind !== 'number') throw new SoqlSyntaxError('LIMIT needs a number');
    pos++;
    query.limit = Number(t.text);
  }
  if (pos !== tokens.length) throw new SoqlSyntaxError(`unexpected text after the query at token ${pos}`);
  return query;
}

/** SOQL semantics for one record: text compares case-insensitively (as Salesforce does), Ids exactly. */
export function matches(condition: Condition | undefined, record: Record<string, unknown>): boolean {
  if (!condition) return true;
  switch (condition.kind) {
    case 'and':
      return matches(condition.left, record) && matches(condition.right, record);
    case 'or':
      return matches(condition.left, record) || matches(condition.right, record);
    case 'not':
      return !matches(condition.inner, record);
    case 'compare':
      return compare(condition, fieldValue(record, condition.field));
  }
}

export function fieldValue(record: Record<string, unknown>, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    const key = Object.keys(value).find((k) => k.toLowerCase() === part.toLowerCase());
    value = key === undefined ? null : (value as Record<string, unknown>)[key];
  }
  return value ?? null;
}

function compare(c: Extract<Condition, { kind: 'compare' }>, actual: unknown): boolean {
  const lit = c.value;
  if (lit.type === 'null') return c.op === '=' ? actual === null : c.op === '!=' ? actual !== null : false;
  if (actual === null) return c.op === '!=';
  if (c.op === 'LIKE') {
    const pattern = (lit as { value: string }).value;
    let re = '';
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i];
      if (ch === '\\' && (pattern[i + 1] === '_' || pattern[i + 1] === '%')) re += escapeRe(pattern[++i]);
      else if (ch === '%') re += '[\\s\\S]*';
      else if (ch === '_') re += '[\\s\\S]';
      else re += escapeRe(ch);
    }
    return new RegExp(`^${re}$`, 'i').test(String(actual));
  }
  let a: number | string;
  let b: number | string;
  if (lit.type === 'datetime') [a, b] = [Date.parse(String(actual)), lit.value];
  else if (lit.type === 'number') [a, b] = [Number(actual), lit.value];
  else if (lit.type === 'boolean') [a, b] = [String(actual), String(lit.value)];
  else if (c.field.toLowerCase() === 'id' || c.field.toLowerCase().endsWith('.id')) [a, b] = [String(actual), String(lit.value)];
  else [a, b] = [String(actual).toLowerCase(), String(lit.value).toLowerCase()];
  switch (c.op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
