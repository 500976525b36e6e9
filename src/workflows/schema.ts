import { Type, type Static } from '@sinclair/typebox';

/** What the API answers for a workflow (the stored Logic Apps resource properties, plus bookkeeping). */
export const WorkflowView = Type.Object(
  {
    name: Type.String(),
    definition: Type.Any({ description: 'the Logic Apps workflow definition' }),
    parameters: Type.Any({ description: 'the resource parameters, with $connections' }),
    state: Type.Union([Type.Literal('Enabled'), Type.Literal('Disabled')]),
    version: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: true },
);
export type WorkflowView = Static<typeof WorkflowView>;

/** The body of POST /workflows and PUT /workflows/{name}: a Logic Apps workflow resource's properties. */
export const WorkflowBody = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'the workflow name (letters, digits, ".", "_", "-")' })),
    definition: Type.Object(
      { triggers: Type.Object({}, { additionalProperties: true }), actions: Type.Object({}, { additionalProperties: true }) },
      { additionalProperties: true, description: 'a Logic Apps workflow definition' },
    ),
    parameters: Type.Optional(Type.Object({}, { additionalProperties: true, description: '{ "$connections": { "value": { "<key>": { "connectionName": "<smtpflow connection>" } } } }' })),
    state: Type.Optional(Type.Union([Type.Literal('Enabled'), Type.Literal('Disabled')])),
  },
  { additionalProperties: true },
);
