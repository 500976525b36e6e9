/**
 * The one error type the expression language throws, so callers (the engine, the save-time
 * validator) can tell a user's bad expression from a fault of smtpflow itself.
 */
export class ExpressionError extends Error {
  /** 0-based offset into `expression` where the problem is (a token, or the function's name). */
  readonly position: number;
  /** The function whose evaluation failed, when one did. */
  readonly functionName?: string;
  /** The whole definition string the expression came from. */
  readonly expression: string;
  /** The message without the "at position … in '…'" prefix. */
  readonly detail: string;

  constructor(detail: string, expression: string, position: number, functionName?: string) {
    const shown = expression.length > 200 ? `${expression.slice(0, 200)}…` : expression;
    super(`at position ${position} in '${shown}': ${functionName ? `${functionName}: ` : ''}${detail}`);
    this.name = 'ExpressionError';
    this.detail = detail;
    this.expression = expression;
    this.position = position;
    if (functionName !== undefined) this.functionName = functionName;
  }
}

/**
 * Thrown by function implementations, which know neither the source text nor the position;
 * the evaluator turns it into an ExpressionError at the call site.
 */
export class FunctionFailure extends Error {}
