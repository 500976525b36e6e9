/** Syntax tree of a parsed definition string. Positions are offsets into the whole string. */

export type Expr =
  | { type: 'string'; value: string; pos: number }
  | { type: 'number'; value: number; float: boolean; pos: number }
  | { type: 'boolean'; value: boolean; pos: number }
  | { type: 'null'; pos: number }
  | { type: 'call'; name: string; args: Expr[]; pos: number }
  /** `x.key`, `x['key']`, `x[0]`; `optional` is the `?` form that yields null instead of failing. */
  | { type: 'member'; object: Expr; property: Expr; optional: boolean; pos: number };

export type TemplatePart = { text: string } | { expr: Expr; pos: number };

export type Template =
  /** No expression at all (including the `@@` escape, already unescaped). */
  | { kind: 'literal'; value: string; source: string }
  /** The whole value is `@expr`: its result keeps its type. */
  | { kind: 'expression'; expr: Expr; source: string }
  /** Text with `@{…}` parts: the result is always a string. */
  | { kind: 'interpolated'; parts: TemplatePart[]; source: string };
