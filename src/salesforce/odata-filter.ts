/**
 * The OData `$filter` that Logic Apps' designer writes for a Salesforce trigger, translated to a
 * SOQL WHERE condition. The subset: `eq ne gt ge lt le`, `and or not`, parentheses,
 * `startswith`, `endswith`, `contains` (and OData 3's `substringof`), string, number, boolean,
 * null and date/time literals, fields (`Owner/Name` for a relationship). A hand-written
 * recursive-descent parser: no maintained OData parser emits SOQL, and every literal must pass
 * through soql.ts so that nothing a user types can change the query's shape.
 */
import { SoqlError, soqlDateTime, soqlLike, soqlName, soqlString } from './soql.js';

export class FilterError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position + 1} of the $filter)`);
  }
}

type Token =
  | { kind: 'string'; value: string; at: number }
  | { kind: 'number' | 'date' | 'datetime' | 'word' | 'punct'; text: string; at: number }
  | { kind: 'end'; at: number };

const WORD = /[A-Za-z_][A-Za-z0-9_]*(?:\/[A-Za-z_][A-Za-z0-9_]*)*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?![\w.:-])/y;
const DATE = /\d{4}-\d{2}-\d{2}(?![\w:])/y;
const DATETIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})/y;
const TYPED = /(datetime|datetimeoffset)'([^']*)'/iy;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const match = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    return re.exec(text);
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', text: c, at: i++ });
      continue;
    }
    if (c === "'") {
      // OData doubles a quote inside a string: 'O''Brien'.
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new FilterError('this string is not closed: add a closing quote (write a quote inside a string as two quotes)', i);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      tokens.push({ kind: 'string', value, at: i });
      i = j + 1;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = match(TYPED))) {
      tokens.push({ kind: 'datetime', text: m[2], at: i });
      i += m[0].length;
    } else if ((m = match(DATETIME))) {
      tokens.push({ kind: 'datetime', text: m[0], at: i });
      i += m[0].length;
    } else if ((m = match(DATE))) {
      tokens.push({ kind: 'date', text: m[0], at: i });
      i += m[0].length;
    } else if ((m = match(NUMBER))) {
      tokens.push({ kind: 'number', text: m[0], at: i });
      i += m[0].length;
    } else if ((m = match(WORD))) {
      tokens.push({ kind: 'word', text: m[0], at: i });
      i += m[0].length;
    } else if (/[-\d]/.test(c)) {
      const written = /^[-\w.:+]+/.exec(text.slice(i))?.[0] ?? c;
      throw new FilterError(`'${written}' is neither a number nor a date this filter understands; write numbers like 1500 or -2.5, dates like 2024-05-01, times like 2024-05-01T10:00:00Z`, i);
    } else {
      throw new FilterError(`'${c}' is not part of an OData filter here`, i);
    }
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

const COMPARE: Record<string, string> = { eq: '=', ne: '!=', gt: '>', ge: '>=', lt: '<', le: '<=' };
/** `5 lt Amount` is `Amount gt 5`. */
const MIRROR: Record<string, string> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
const FUNCTIONS = new Set(['startswith', 'endswith', 'contains', 'substringof']);
const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null', ...Object.keys(COMPARE)]);

/** An operand: a field (SOQL name) or a literal already written as SOQL. */
type Operand = { field: string } | { literal: string; text?: string; isNull?: boolean; at: number };

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): string {
    const condition = this.or();
    const next = this.peek();
    if (next.kind !== 'end') throw new FilterError(`unexpected ${describe(next)}: join conditions with 'and' or 'or'`, next.at);
    return condition;
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private isWord(word: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.text.toLowerCase() === word;
  }

  private expectPunct(p: string): void {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== p) throw new FilterError(`expected '${p}' but found ${describe(t)}`, t.at);
    this.pos++;
  }

  private or(): string {
    let left = this.and();
    while (this.isWord('or')) {
      this.pos++;
      left = `(${left} OR ${this.and()})`;
    }
    return left;
  }

  private and(): string {
    let left = this.unary();
    while (this.isWord('and')) {
      this.pos++;
      left = `(${left} AND ${this.unary()})`;
    }
    return left;
  }

  private unary(): string {
    if (this.isWord('not')) {
      this.pos++;
      return `(NOT ${this.unary()})`;
    }
    return this.comparison();
  }

  /** `operand op operand`, a function call (optionally `eq true|false`), a parenthesised condition, or a boolean field. */
  private comparison(): string {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '(') {
      this.pos++;
      const inner = this.or();
      this.expectPunct(')');
      return inner;
    }
    const after = this.tokens[this.pos + 1];
    if (t.kind === 'word' && !FUNCTIONS.has(t.text.toLowerCase()) && after?.kind === 'punct' && after.text === '(') {
      throw new FilterError(`'${t.text}' is not a function this filter translates; use startswith, endswith or contains`, t.at);
    }
    if (t.kind === 'word' && FUNCTIONS.has(t.text.toLowerCase())) {
      const like = this.call();
      if (this.isWord('eq') || this.isWord('ne')) {
        const negate = this.isWord('ne');
        this.pos++;
        const b = this.peek();
        if (!(b.kind === 'word' && (b.text === 'true' || b.text === 'false'))) throw new FilterError(`a function result compares only with true or false, not ${describe(b)}`, b.at);
        this.pos++;
        return (b.text === 'true') !== negate ? like : `(NOT ${like})`;
      }
      return like;
    }
    const left = this.operand();
    const op = this.peek();
    if (op.kind === 'word' && COMPARE[op.text.toLowerCase()]) {
      this.pos++;
      const right = this.operand();
      return compare(left, op.text.toLowerCase(), right, op.at);
    }
    if ('field' in left) return `${left.field} = true`;
    throw new FilterError(`expected a comparison (eq, ne, gt, ge, lt, le) after the value, found ${describe(op)}`, op.at);
  }

  private call(): string {
    const name = this.peek() as Token & { text: string };
    this.pos++;
    this.expectPunct('(');
    const a = this.operand();
    this.expectPunct(',');
    const b = this.operand();
    this.expectPunct(')');
    const fn = name.text.toLowerCase();
    // substringof('text', Field) is OData 3's contains(Field, 'text').
    const [field, text] = fn === 'substringof' ? [b, a] : [a, b];
    if (!('field' in field)) throw new FilterError(`${name.text} needs a field ${fn === 'substringof' ? 'second' : 'first'}, e.g. ${fn === 'substringof' ? "substringof('Acme', Company)" : `${name.text}(Company, 'Acme')`}`, name.at);
    if ('field' in text || text.text === undefined) throw new FilterError(`${name.text} compares a field with a quoted string, e.g. 'Acme'`, name.at);
    return `${field.field} LIKE ${soqlLike(text.text, { prefix: fn !== 'startswith', suffix: fn !== 'endswith' })}`;
  }

  private operand(): Operand {
    const t = this.peek();
    this.pos++;
    switch (t.kind) {
      case 'string':
        return { literal: soqlString(t.value), text: t.value, at: t.at };
      case 'number':
        return { literal: t.text, at: t.at };
      case 'date':
        return { literal: t.text, at: t.at };
      case 'datetime':
        try {
          return { literal: soqlDateTime(t.text), at: t.at };
        } catch (err) {
          throw new FilterError((err as Error).message, t.at);
        }
      case 'word': {
        const word = t.text.toLowerCase();
        if (word === 'null') return { literal: 'null', isNull: true, at: t.at };
        if (word === 'true' || word === 'false') return { literal: word, at: t.at };
        if (KEYWORDS.has(word) || FUNCTIONS.has(word)) throw new FilterError(`'${t.text}' cannot stand here; expected a field or a value`, t.at);
        try {
          return { field: soqlName(t.text.replace(/\//g, '.')) };
        } catch (err) {
          throw new FilterError(err instanceof SoqlError ? err.message : String(err), t.at);
        }
      }
      default:
        this.pos--;
        throw new FilterError(`expected a field or a value, found ${describe(t)}`, t.at);
    }
  }
}

function compare(left: Operand, op: string, right: Operand, at: number): string {
  if ('field' in left && 'field' in right) throw new FilterError('SOQL cannot compare two fields; compare a field with a value', at);
  if (!('field' in left) && !('field' in right)) throw new FilterError('compare a field with a value, not two values', at);
  const [field, value, effective] = 'field' in left ? [left.field, right as Exclude<Operand, { field: string }>, op] : [(right as { field: string }).field, left, MIRROR[op]];
  if (value.isNull && effective !== 'eq' && effective !== 'ne') throw new FilterError('null compares only with eq or ne', value.at);
  return `${field} ${COMPARE[effective]} ${value.literal}`;
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the filter';
  if (t.kind === 'string') return `the string '${t.value}'`;
  return `'${t.text}'`;
}

/** The SOQL condition for an OData `$filter`; throws FilterError (with the position) when it is not in the subset. */
export function odataFilterToSoql(filter: string): string {
  if (filter.trim() === '') throw new FilterError('the filter is empty', 0);
  return new Parser(tokenize(filter)).parse();
}
