import { ExpressionError } from './errors.js';

export type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier name, unescaped string, punctuation character, or number source text. */
  text: string;
  pos: number;
  /** For numbers: the value, and whether it was written as a float (`2.0`, `.3`, `1e3`). */
  value?: number;
  float?: boolean;
}

const PUNCT = new Set(['(', ')', ',', '.', '[', ']', '?', '}']);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_$]/.test(c);
const isIdentPart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);

/**
 * Scans tokens on demand rather than up front: an interpolation `@{…}` ends at the first `}`
 * outside a string literal, which only the parser knows, and a leading `.` is a number
 * (`.3`) where an operand is expected but a property access after one.
 */
export class Lexer {
  pos: number;

  constructor(
    readonly source: string,
    start: number,
  ) {
    this.pos = start;
  }

  fail(message: string, pos: number = this.pos): never {
    throw new ExpressionError(message, this.source, pos);
  }

  private skipSpace(): void {
    while (this.pos < this.source.length && /\s/.test(this.source[this.pos])) this.pos++;
  }

  /** The next token; `operand` says whether a value (so possibly `.5` or `-1`) is expected. */
  next(operand: boolean): Token {
    this.skipSpace();
    const src = this.source;
    const start = this.pos;
    const c = src[start];
    if (c === undefined) return { kind: 'eof', text: '', pos: start };
    if (c === "'") return this.string();
    if (operand && (isDigit(c) || ((c === '-' || c === '.') && (isDigit(src[start + 1]) || (c === '-' && src[start + 1] === '.' && isDigit(src[start + 2])))))) {
      return this.number();
    }
    if (isIdentStart(c)) {
      let end = start + 1;
      while (isIdentPart(src[end])) end++;
      this.pos = end;
      return { kind: 'ident', text: src.slice(start, end), pos: start };
    }
    if (PUNCT.has(c)) {
      this.pos++;
      return { kind: 'punct', text: c, pos: start };
    }
    return this.fail(`unexpected character '${c}'`, start);
  }

  /** Looks at the next token without consuming it. */
  peek(operand: boolean): Token {
    const saved = this.pos;
    try {
      return this.next(operand);
    } finally {
      this.pos = saved;
    }
  }

  private string(): Token {
    const src = this.source;
    const start = this.pos;
    let out = '';
    let i = start + 1;
    for (;;) {
      const j = src.indexOf("'", i);
      if (j < 0) return this.fail('string literal is not closed (a quote inside a string is written as two quotes: \'\')', start);
      out += src.slice(i, j);
      if (src[j + 1] === "'") {
        out += "'";
        i = j + 2;
        continue;
      }
      this.pos = j + 1;
      return { kind: 'string', text: out, pos: start };
    }
  }

  private number(): Token {
    const src = this.source;
    const start = this.pos;
    const m = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(start, start + 400));
    if (!m) return this.fail('malformed number', start);
    const text = m[0];
    this.pos = start + text.length;
    if (isIdentStart(src[this.pos])) this.fail(`malformed number '${text}${src[this.pos]}'`, start);
    const value = Number(text);
    if (!Number.isFinite(value)) this.fail(`number '${text}' is out of range`, start);
    return { kind: 'number', text, pos: start, value, float: /[.eE]/.test(text) };
  }
}
