/**
 * Parser of the Logic Apps workflow definition language (expressions in definition strings).
 *
 * Hand-written because no maintained JavaScript library implements this language: the
 * Logic Apps runtime and designer parsers are not published as packages, and generic
 * expression libraries differ in syntax (`?[]`, `''` escapes, `@{…}` interpolation) and
 * would need `eval`-like hooks. A small recursive-descent parser gives exact positions
 * for the save-time errors that SPEC §4 asks for.
 */
import type { Expr, Template, TemplatePart } from './ast.js';
import { ExpressionError } from './errors.js';
import { listFunctions, lookupFunction } from './functions/index.js';
import { Lexer, type Token } from './lexer.js';

/**
 * Deep enough for any real definition, shallow enough never to overflow the stack; property
 * accesses count too, since evaluating `a().b.c` recurses once per step.
 */
const MAX_DEPTH = 256;

class Parser {
  private depth = 0;

  constructor(private readonly lexer: Lexer) {}

  private expect(text: string, operand = false): Token {
    const t = this.lexer.next(operand);
    if (t.kind !== 'punct' || t.text !== text) this.unexpected(t, `'${text}'`);
    return t;
  }

  unexpected(t: Token, wanted: string): never {
    const found = t.kind === 'eof' ? 'the end of the expression' : t.kind === 'string' ? 'a string' : `'${t.text}'`;
    return this.lexer.fail(`expected ${wanted} but found ${found}`, t.pos);
  }

  private deeper(): void {
    if (++this.depth > MAX_DEPTH) this.lexer.fail(`expression is nested more than ${MAX_DEPTH} levels deep`);
  }

  expression(): Expr {
    const outer = this.depth;
    this.deeper();
    let expr = this.primary();
    for (;;) {
      const t = this.lexer.peek(false);
      if (t.kind !== 'punct') break;
      if (t.text === '.' || t.text === '[' || t.text === '?') this.deeper();
      if (t.text === '.') {
        this.lexer.next(false);
        expr = this.dotMember(expr, false, t.pos);
      } else if (t.text === '[') {
        this.lexer.next(false);
        expr = this.indexMember(expr, false, t.pos);
      } else if (t.text === '?') {
        this.lexer.next(false);
        const after = this.lexer.next(false);
        if (after.kind === 'punct' && after.text === '[') expr = this.indexMember(expr, true, t.pos);
        else if (after.kind === 'punct' && after.text === '.') expr = this.dotMember(expr, true, t.pos);
        else this.unexpected(after, "'[' or '.' after '?'");
      } else break;
    }
    this.depth = outer;
    return expr;
  }

  private dotMember(object: Expr, optional: boolean, pos: number): Expr {
    const name = this.lexer.next(false);
    if (name.kind !== 'ident') this.unexpected(name, 'a property name after \'.\'');
    return { type: 'member', object, property: { type: 'string', value: name.text, pos: name.pos }, optional, pos };
  }

  private indexMember(object: Expr, optional: boolean, pos: number): Expr {
    const property = this.expression();
    this.expect(']');
    return { type: 'member', object, property, optional, pos };
  }

  private primary(): Expr {
    const t = this.lexer.next(true);
    switch (t.kind) {
      case 'string':
        return { type: 'string', value: t.text, pos: t.pos };
      case 'number':
        return { type: 'number', value: t.value as number, float: t.float === true, pos: t.pos };
      case 'ident': {
        const open = this.lexer.peek(false);
        if (open.kind === 'punct' && open.text === '(') {
          this.lexer.next(false);
          return { type: 'call', name: t.text, args: this.args(), pos: t.pos };
        }
        const word = t.text.toLowerCase();
        if (word === 'true' || word === 'false') return { type: 'boolean', value: word === 'true', pos: t.pos };
        if (word === 'null') return { type: 'null', pos: t.pos };
        return this.lexer.fail(`'${t.text}' is not a value: call a function such as ${t.text}(), or write a string in single quotes`, t.pos);
      }
      default:
        return this.unexpected(t, 'a value (a function call, a string in single quotes, a number, true, false or null)');
    }
  }

  private args(): Expr[] {
    const args: Expr[] = [];
    const first = this.lexer.peek(true);
    if (first.kind === 'punct' && first.text === ')') {
      this.lexer.next(true);
      return args;
    }
    for (;;) {
      args.push(this.expression());
      const t = this.lexer.next(false);
      if (t.kind === 'punct' && t.text === ')') return args;
      if (!(t.kind === 'punct' && t.text === ',')) this.unexpected(t, "',' or ')'");
    }
  }
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** A near miss (`subString`, `triggerbdy`) is the usual cause of an unknown name. */
function suggest(name: string): string {
  if (name.length > 40) return '';
  const lower = name.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const f of listFunctions()) {
    const d = distance(lower, f.name.toLowerCase());
    if (d <= Math.max(1, Math.floor(name.length / 4)) && (!best || d < best.d)) best = { name: f.name, d };
  }
  return best ? `; did you mean '${best.name}'?` : '';
}

/** Unknown functions and wrong argument counts are found at parse time, so at save time. */
function check(expr: Expr, source: string): void {
  if (expr.type === 'member') {
    check(expr.object, source);
    check(expr.property, source);
    return;
  }
  if (expr.type !== 'call') return;
  const fn = lookupFunction(expr.name);
  if (!fn) throw new ExpressionError(`not a known function${suggest(expr.name)}`, source, expr.pos, expr.name);
  const n = expr.args.length;
  if (n < fn.min || n > fn.max) {
    const want = fn.min === fn.max ? `${fn.min}` : fn.max === Infinity ? `at least ${fn.min}` : `${fn.min} to ${fn.max}`;
    throw new ExpressionError(`expects ${want} argument${fn.max === 1 && fn.min === 1 ? '' : 's'} but was given ${n}`, source, expr.pos, fn.name);
  }
  for (const a of expr.args) check(a, source);
}

/** Parses `source` from offset `start` up to `end` (the end of input, or a `}` closing `@{`). */
function parseAt(source: string, start: number, end: 'eof' | '}'): { expr: Expr; next: number } {
  const lexer = new Lexer(source, start);
  const parser = new Parser(lexer);
  const first = lexer.peek(true);
  if (first.kind === 'eof' || (first.kind === 'punct' && first.text === '}')) {
    lexer.fail(end === '}' ? "'@{}' is empty: put an expression between the braces" : "'@' must be followed by an expression (write '@@' for a literal '@')", first.pos);
  }
  const expr = parser.expression();
  const t = lexer.next(false);
  if (end === 'eof' && t.kind !== 'eof') parser.unexpected(t, 'the end of the expression');
  if (end === '}' && !(t.kind === 'punct' && t.text === '}')) parser.unexpected(t, "'}' closing '@{'");
  check(expr, source);
  return { expr, next: lexer.pos };
}

/** Parses one expression without the leading `@`, e.g. `concat('a', 'b')`. */
export function parseExpression(source: string): Expr {
  return parseAt(source, 0, 'eof').expr;
}

/** Parses a definition string value: plain text, `@expr`, `@@…`, or text with `@{…}`. */
export function parseTemplate(value: string): Template {
  try {
    return parseValue(value);
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    // Only a fault here (the input is bounded): still, callers are promised ExpressionError alone.
    throw new ExpressionError(`cannot be parsed: ${err instanceof Error ? err.message : String(err)}`, value, 0);
  }
}

function parseValue(value: string): Template {
  if (value.startsWith('@@')) return { kind: 'literal', value: value.slice(1), source: value };
  if (value.startsWith('@') && value[1] !== '{') return { kind: 'expression', expr: parseAt(value, 1, 'eof').expr, source: value };
  if (!value.includes('@{')) return { kind: 'literal', value, source: value };
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < value.length) {
    const at = value.indexOf('@', i);
    if (at < 0) {
      text += value.slice(i);
      break;
    }
    text += value.slice(i, at);
    if (value.startsWith('@@{', at)) {
      text += '@{';
      i = at + 3;
    } else if (value[at + 1] === '{') {
      if (text) parts.push({ text });
      text = '';
      const { expr, next } = parseAt(value, at + 2, '}');
      parts.push({ expr, pos: at });
      i = next;
    } else {
      text += '@';
      i = at + 1;
    }
  }
  if (text) parts.push({ text });
  if (parts.every((p) => 'text' in p)) return { kind: 'literal', value: text, source: value };
  return { kind: 'interpolated', parts, source: value };
}
