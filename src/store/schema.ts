/**
 * Row types of every table, shared by both dialects. Times are epoch milliseconds; JSON is kept
 * as text; booleans as 0/1 so that one query works on SQLite and PostgreSQL alike.
 */
export interface SettingsTable {
  name: string;
  value: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  scope: 'admin' | 'send' | 'read';
  /** JSON array of connection names a `send` key is limited to, or null for all. */
  connections: string | null;
  /** SHA-256 of the key's secret part (hex). */
  hash: string;
  created_at: number;
  last_used_at: number | null;
}

export interface ConnectionsTable {
  name: string;
  type: string;
  /** JSON of the non-secret settings. */
  config: string;
  /** SecretBox-sealed JSON of the secret settings (password, client secrets, keys), or null. */
  secrets: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export type MessageStatus = 'queued' | 'sending' | 'retrying' | 'sent' | 'failed' | 'cancelled';

export interface MessagesTable {
  id: string;
  connection: string;
  status: MessageStatus;
  /** The RFC 5322 Message-ID, fixed at acceptance (with angle brackets). */
  message_id: string;
  /** 'api' | 'cli' | 'workflow' */
  source: string;
  /** JSON of the validated Send Email input (section 1 of the spec). */
  request: string;
  /** Date header fixed at acceptance, so a retry sends the same message. */
  date: number;
  envelope_from: string;
  /** JSON array of every envelope recipient (To, CC and Bcc). */
  recipients: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  /** After this time a transient failure is final. */
  expires_at: number;
  /** JSON arrays, from the last attempt that reached DATA. */
  accepted: string | null;
  rejected: string | null;
  /** The last SMTP response line(s) or error text. */
  response: string | null;
  /** JSON `{ code, message, smtp? }` of the last failure. */
  last_error: string | null;
  request_id: string | null;
  run_id: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

export interface MessageAttemptsTable {
  message_id: string;
  attempt: number;
  started_at: number;
  finished_at: number;
  /** 'sent' | 'transient' | 'permanent' */
  outcome: string;
  smtp_code: number | null;
  enhanced_code: string | null;
  response: string | null;
  accepted: string | null;
  rejected: string | null;
  error_code: string | null;
  error_message: string | null;
}

export interface IdempotencyKeysTable {
  api_key_id: string;
  key: string;
  request_hash: string;
  status: number;
  body: string;
  headers: string;
  created_at: number;
}

export interface InboxMessagesTable {
  id: string;
  received_at: number;
  envelope_from: string;
  /** JSON array */
  envelope_to: string;
  from_addr: string;
  to_addr: string;
  subject: string;
  message_id: string | null;
  size: number;
  raw: Buffer;
}

export interface Database {
  settings: SettingsTable;
  api_keys: ApiKeysTable;
  connections: ConnectionsTable;
  messages: MessagesTable;
  message_attempts: MessageAttemptsTable;
  idempotency_keys: IdempotencyKeysTable;
  inbox_messages: InboxMessagesTable;
}
