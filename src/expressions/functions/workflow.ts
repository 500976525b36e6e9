import { fail, str } from '../values.js';
import { define, type CallInfo, type FunctionDef } from './types.js';

function action(name: unknown, info: CallInfo) {
  const n = str(name, 'actionName');
  const record = info.ctx.actionOutputs(n);
  if (!record) fail(`the action '${n}' has not run (or does not exist); refer only to actions this one runs after`);
  return { name: n, record };
}

export const workflowFunctions: FunctionDef[] = [
  define('workflow', 'triggerBody()', { description: "The trigger's body output.", call: (_, { ctx }) => ctx.triggerBody() }),
  define('workflow', 'triggerOutputs()', { description: "The trigger's outputs (headers, body, …).", call: (_, { ctx }) => ctx.triggerOutputs() }),
  define('workflow', 'trigger()', { description: 'The trigger, whose outputs are triggerOutputs().', call: (_, { ctx }) => ({ outputs: ctx.triggerOutputs() }) }),
  define('workflow', 'body(actionName)', { description: "An action's body output.", call: ([n], info) => action(n, info).record.body }),
  define('workflow', 'actionBody(actionName)', { description: "An action's body output (same as body).", call: ([n], info) => action(n, info).record.body }),
  define('workflow', 'outputs(actionName)', { description: "An action's outputs.", call: ([n], info) => action(n, info).record.outputs }),
  define('workflow', 'actionOutputs(actionName)', { description: "An action's outputs (same as outputs).", call: ([n], info) => action(n, info).record.outputs }),
  define('workflow', 'actions(actionName)', {
    description: "An action's whole result: name, inputs, outputs, status.",
    call: ([n], info) => {
      const { name, record } = action(n, info);
      return { name, ...record };
    },
  }),
  define('workflow', 'item()', {
    description: 'The current item of the innermost Foreach loop.',
    call: (_, { ctx }) => {
      const v = ctx.item();
      if (v === undefined) fail('item() is only available inside a Foreach loop');
      return v;
    },
  }),
  define('workflow', 'items(loopName)', {
    description: 'The current item of the named enclosing Foreach loop.',
    call: ([n], { ctx }) => {
      const name = str(n, 'loopName');
      const v = ctx.items(name);
      if (v === undefined) fail(`'${name}' is not a Foreach loop that encloses this action`);
      return v;
    },
  }),
  define('workflow', 'parameters(parameterName)', {
    description: 'The value of a workflow parameter.',
    call: ([n], { ctx }) => {
      const name = str(n, 'parameterName');
      const v = ctx.parameters(name);
      if (v === undefined) fail(`the workflow parameter '${name}' is not defined`);
      return v;
    },
  }),
  define('workflow', 'variables(variableName)', {
    description: 'The current value of a variable.',
    call: ([n], { ctx }) => {
      const name = str(n, 'variableName');
      const v = ctx.variables(name);
      if (v === undefined) fail(`the variable '${name}' is not initialized`);
      return v;
    },
  }),
  define('workflow', 'workflow()', { description: 'Details of the workflow and its run: name, run.id, …', call: (_, { ctx }) => ctx.workflow() }),
];
