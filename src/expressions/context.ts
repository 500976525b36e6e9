/**
 * What an expression can see of the run it is evaluated in. The workflow engine implements
 * it; the expression language knows nothing of runs, actions or storage.
 * A member may throw ExpressionError (for instance `item()` outside a loop); anything else it
 * throws is turned into an ExpressionError at the call.
 */
export interface EvaluationContext {
  /** `triggerBody()`: the trigger's `body` output (the Request body, the polled item, …). */
  triggerBody(): unknown;
  /** `triggerOutputs()`: the trigger's whole outputs, `{ headers, body, … }`. */
  triggerOutputs(): unknown;
  /**
   * The recorded result of the action called `name`, or undefined when it has not run (or
   * does not exist). `body('X')` is its `body`, `outputs('X')` its `outputs`, `actions('X')`
   * the whole record.
   */
  actionOutputs(name: string): { body?: unknown; outputs?: unknown; status?: string; inputs?: unknown } | undefined;
  /** `item()`: the current item of the innermost Foreach; throws ExpressionError outside a loop. */
  item(): unknown;
  /** `items('Loop')`: the current item of the enclosing Foreach called `loopName`. */
  items(loopName: string): unknown;
  /** `parameters('p')`: the workflow parameter's value (given value, else its defaultValue). */
  parameters(name: string): unknown;
  /** `variables('v')`: the variable's current value. */
  variables(name: string): unknown;
  /** `workflow()`: `{ name, run: { id, name }, … }` of the running workflow. */
  workflow(): unknown;
  /** The clock of `utcNow()` and friends; tests pin it, the engine may leave it out. */
  now?(): Date;
}
