import { evaluateValue, ExpressionError, type EvaluationContext } from '../../expressions/index.js';

/**
 * A connector trigger's `inputs.path`, evaluated and split at "/". Logic Apps writes each name
 * as `@{encodeURIComponent(encodeURIComponent('Lead'))}`, so a segment (or each part of a
 * "server,database" segment) is a name once `decodeTwice` has decoded it, as the connector's
 * backend does. Only `parameters()` can be used in a path; without
 * `parameter` (at save time, before the workflow's parameters are known) it throws too.
 * Throws ExpressionError when the path cannot be evaluated.
 */
export function pathSegments(path: string, parameter?: (name: string) => unknown): string[] {
  return String(evaluateTriggerInput(path, parameter)).split('/');
}

/** Any of a connector trigger's inputs (its path, its queries) evaluated: only `parameters()` is there to use. */
export function evaluateTriggerInput(value: unknown, parameter?: (name: string) => unknown): unknown {
  const unavailable = (what: string) => (): never => {
    throw new ExpressionError(`${what} cannot be used in a trigger's inputs`, typeof value === 'string' ? value : JSON.stringify(value), 0);
  };
  const ctx: EvaluationContext = {
    triggerBody: unavailable('triggerBody()'),
    triggerOutputs: unavailable('triggerOutputs()'),
    actionOutputs: unavailable('body() and outputs()'),
    item: unavailable('item()'),
    items: unavailable('items()'),
    variables: unavailable('variables()'),
    workflow: unavailable('workflow()'),
    parameters: parameter ?? unavailable('parameters() (known only once the workflow runs)'),
  };
  return evaluateValue(value, ctx);
}

/** Decodes twice; a segment that is not valid percent-encoding is taken as written. */
export function decodeTwice(segment: string): string {
  try {
    return decodeURIComponent(decodeURIComponent(segment));
  } catch {
    return segment;
  }
}
