/* What "search triggers" and "Add an action" can find, with the definition each one starts from. */
import { newSourceTrigger } from './sourceTriggers';

export interface CatalogEntry {
  id: string;
  /** "Connector - Operation", as the Logic Apps designer lists them. */
  title: string;
  description: string;
  keywords: string;
  /** The name the step gets (Logic Apps' defaults). */
  name: string;
  create(): Record<string, unknown>;
}

export const TRIGGERS: CatalogEntry[] = [
  {
    id: 'salesforce-created',
    title: 'Salesforce - When a record is created',
    description: 'Runs once for every new record of an object type (Lead, Account…) in a Salesforce org.',
    keywords: 'salesforce record object created new lead account contact opportunity crm',
    name: 'When_a_record_is_created',
    create: () => newSourceTrigger('salesforce', 'onnewitems'),
  },
  {
    id: 'salesforce-modified',
    title: 'Salesforce - When a record is modified',
    description: 'Runs once for every change to a record of an object type in a Salesforce org.',
    keywords: 'salesforce record object modified changed updated lead account crm',
    name: 'When_a_record_is_modified',
    create: () => newSourceTrigger('salesforce', 'onupdateditems'),
  },
  {
    id: 'sql-created',
    title: 'SQL - When an item is created',
    description: 'Runs once for every new row of a table in a PostgreSQL database.',
    keywords: 'sql postgres postgresql database table row item created new insert',
    name: 'When_an_item_is_created_(V2)',
    create: () => newSourceTrigger('sql'),
  },
  {
    id: 'request',
    title: 'Request - When a HTTP request is received',
    description: 'Runs when something POSTs JSON to the workflow’s signed URL.',
    keywords: 'request http webhook manual api call',
    name: 'manual',
    create: () => ({ type: 'Request', kind: 'Http', inputs: { schema: {} } }),
  },
  {
    id: 'recurrence',
    title: 'Schedule - Recurrence',
    description: 'Runs on a schedule: every few minutes, hours, days…',
    keywords: 'schedule recurrence timer cron every interval',
    name: 'Recurrence',
    create: () => ({ type: 'Recurrence', recurrence: { frequency: 'Hour', interval: 1 } }),
  },
  {
    id: 'httppoll',
    title: 'HTTP - When an item is created',
    description: 'Polls a JSON endpoint and runs once for every new item in it.',
    keywords: 'http poll item created new record object feed list json',
    name: 'When_an_item_is_created',
    create: () => ({ type: 'HttpPoll', inputs: { uri: 'https://', method: 'GET', itemsPath: '', idField: 'id' }, recurrence: { frequency: 'Minute', interval: 5 } }),
  },
];

export const ACTIONS: CatalogEntry[] = [
  {
    id: 'smtp',
    title: 'SMTP - Send Email',
    description: 'Sends an email through an SMTP connection.',
    keywords: 'smtp send email mail message',
    name: 'Send_Email',
    create: () => ({ type: 'SendEmail', inputs: { connection: '', To: '', Subject: '', Body: '' } }),
  },
  {
    id: 'compose',
    title: 'Data Operations - Compose',
    description: 'Builds a value from text and dynamic content.',
    keywords: 'compose data operations value string json',
    name: 'Compose',
    create: () => ({ type: 'Compose', inputs: '' }),
  },
  {
    id: 'if',
    title: 'Control - Condition',
    description: 'Runs one branch or the other, depending on a condition (If).',
    keywords: 'control condition if else branch',
    name: 'Condition',
    create: () => ({ type: 'If', expression: { and: [{ equals: ['', ''] }] }, actions: {}, else: { actions: {} } }),
  },
  {
    id: 'foreach',
    title: 'Control - For each',
    description: 'Runs actions once for every item of an array (Foreach).',
    keywords: 'control foreach for each loop apply to each array',
    name: 'For_each',
    create: () => ({ type: 'Foreach', foreach: '', actions: {} }),
  },
  {
    id: 'response',
    title: 'Request - Response',
    description: 'Answers the HTTP request that started the run.',
    keywords: 'request response reply http answer',
    name: 'Response',
    create: () => ({ type: 'Response', kind: 'Http', inputs: { statusCode: 200, body: '' } }),
  },
];

export function search(entries: CatalogEntry[], query: string): CatalogEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return entries.filter((e) => words.every((w) => `${e.title} ${e.keywords}`.toLowerCase().includes(w)));
}
