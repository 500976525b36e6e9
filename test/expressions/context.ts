import { ExpressionError, type EvaluationContext } from '../../src/expressions/index.js';

/** A fixed run for expression tests: a trigger body, one action, a loop item, parameters and variables. */
export function testContext(overrides: Partial<EvaluationContext> = {}): EvaluationContext {
  const actions: Record<string, { body?: unknown; outputs?: unknown; status?: string; inputs?: unknown }> = {
    Get_user: {
      status: 'Succeeded',
      inputs: { method: 'GET' },
      body: { FullName: 'Contoso Corporation', Id: 283541717 },
      outputs: { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: { FullName: 'Contoso Corporation', Id: 283541717 } },
    },
  };
  return {
    triggerBody: () => ({ Email: 'sophia@example.com', Name: 'Sophia Owen', Count: 3, Price: 2.5, Active: true, Tags: ['a', 'b'], Nested: { City: 'Seattle' }, Nothing: null }),
    triggerOutputs: () => ({ headers: { 'Content-Type': 'application/json' }, body: { Email: 'sophia@example.com' } }),
    actionOutputs: (name) => actions[name],
    item: () => {
      throw new ExpressionError('item() is only available inside a Foreach loop', '', 0);
    },
    items: (loop) => (loop === 'myForEachLoopName' ? { body: 'current' } : undefined),
    parameters: (name) => ({ fullName: 'Sophia Owen', limit: 10 })[name],
    variables: (name) => ({ numItems: 20 })[name],
    workflow: () => ({ name: 'notify', run: { id: 'run-1', name: 'run-1' } }),
    now: () => new Date('2018-04-15T13:00:00Z'),
    ...overrides,
  };
}
