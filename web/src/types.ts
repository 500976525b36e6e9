/* The API's answers as the designer reads them (SPEC §2). The server's TypeBox schemas are the
 * source of truth; these mirror only the fields the pages show. */

export type Security = 'starttls' | 'tls' | 'none';
export type ConnectionType = 'smtp' | 'salesforce' | 'postgres';

export interface ConnectionInput {
  name: string;
  type?: 'smtp';
  host: string;
  port: number;
  security: Security;
  username?: string;
  password?: string;
  defaultFrom?: string;
  rejectUnauthorized?: boolean;
  ca?: string;
  clientName?: string;
  maxConnections?: number;
  rateLimit?: { messages: number; perSeconds: number };
}

export interface Connection extends Partial<Omit<ConnectionInput, 'password' | 'type'>> {
  name: string;
  type: string;
  secretsSet: string[];
  createdAt: string;
  updatedAt: string;
  /** smtp: where bounces go, and DKIM signing (its private key never comes back) */
  envelopeFrom?: string;
  dkim?: { domainName: string; keySelector: string };
  /** salesforce (secrets never come back) */
  loginUrl?: string;
  instanceUrl?: string;
  apiVersion?: string;
  /** salesforce's grants, or smtp's `password` | `oauth2` (secrets never come back) */
  auth?: {
    type?: string;
    clientId?: string;
    username?: string;
    audience?: string;
    provider?: 'microsoft' | 'google';
    tenantId?: string;
    tokenUrl?: string;
    scope?: string;
    user?: string;
  };
  /** postgres */
  schema?: string;
  ssl?: 'disable' | 'require' | 'verify-full';
}

/** POST /connections/{name}/dkim/keygen: the key is stored; this is the DNS record to publish. */
export interface DkimRecord {
  domainName: string;
  keySelector: string;
  name: string;
  type: 'TXT';
  value: string;
  zoneFileLine: string;
}

/** What a trigger source offers to watch (GET /connections/{name}/objects) and the fields of one (…/{object}/fields). */
export interface WatchableObject {
  name: string;
  label?: string;
}

export interface ObjectField {
  name: string;
  label?: string;
  type?: string;
}

export interface ConnectionTestStep {
  step: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface ConnectionTestReport {
  ok: boolean;
  steps: ConnectionTestStep[];
  problem?: { code: string; message: string; fix: string };
}

export interface SmtpReply {
  code?: number;
  enhancedCode?: string;
  response?: string;
}

export type MessageStatus = 'queued' | 'sending' | 'retrying' | 'sent' | 'failed' | 'cancelled';

export interface Message {
  id: string;
  connection: string;
  status: MessageStatus;
  messageId: string;
  source: string;
  from: string;
  recipients: string[];
  subject: string;
  attemptCount: number;
  accepted: string[];
  rejected: string[];
  response?: string;
  error?: { code: string; message: string; smtp?: SmtpReply };
  createdAt: string;
  updatedAt: string;
  nextAttemptAt?: string;
  expiresAt: string;
  sentAt?: string;
  runId?: string;
}

export interface Attempt {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  outcome: 'sent' | 'transient' | 'permanent';
  smtp?: SmtpReply;
  accepted: string[];
  rejected: Array<{ recipient: string } & SmtpReply>;
  error?: { code: string; message: string };
}

export interface MessageDetail extends Message {
  attempts: Attempt[];
}

export interface MessageList {
  items: Message[];
  nextCursor?: string;
}

export interface InboxSummary {
  id: string;
  receivedAt: string;
  from: string;
  to: string;
  subject: string;
  messageId?: string;
  size: number;
  envelope: { from: string; to: string[] };
}

export interface InboxMessage extends InboxSummary {
  headers: Array<{ name: string; value: string }>;
  text?: string;
  html?: string;
  cc?: string;
  replyTo?: string;
  date?: string;
  attachments: Array<{ index: number; filename?: string; contentType: string; size: number; contentId?: string; inline: boolean }>;
}

/** A Logic Apps workflow definition, loosely typed: the designer edits it as JSON. */
export interface Definition {
  $schema?: string;
  contentVersion?: string;
  triggers: Record<string, any>;
  actions: Record<string, any>;
  [key: string]: unknown;
}

export interface WorkflowBody {
  name: string;
  definition: Definition;
  parameters?: { $connections?: { value: Record<string, { connectionName?: string; connectionId?: string }> }; [key: string]: unknown };
  state?: 'Enabled' | 'Disabled';
}

export interface Workflow extends Required<Pick<WorkflowBody, 'name' | 'definition'>> {
  parameters: WorkflowBody['parameters'];
  state: 'Enabled' | 'Disabled';
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface RunError {
  code?: string;
  message?: string;
  [key: string]: unknown;
}

export interface RunSummary {
  id: string;
  workflow: string;
  trigger: { name: string };
  status: string;
  startTime?: string;
  endTime?: string;
  error?: RunError;
  resubmittedFrom?: string;
}

export interface ActionResult {
  type: string;
  status: string;
  attempts: number;
  startTime?: string;
  endTime?: string;
  inputs?: unknown;
  outputs?: unknown;
  error?: RunError;
  repetitions?: Array<ActionResult & { index: number[] }>;
}

export interface RunDetail extends RunSummary {
  trigger: { name: string; type?: string; outputs?: unknown };
  actions: Record<string, ActionResult>;
  response?: unknown;
}
