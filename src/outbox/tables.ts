import type { Kysely } from 'kysely';
import type { Store } from '../store/db.js';
import type { Database, MessagesTable } from '../store/schema.js';

/** Columns migration 002 adds to `messages`. */
export interface OutboxMessagesTable extends MessagesTable {
  /** 'SendEmail' | 'SendEmailV2' | 'SendEmailV3', or null (the REST action). */
  path: string | null;
  /** 'sync': the caller waits for the first attempt; 'async': accepted with 202. */
  mode: string;
  subject: string;
}

export interface OutboxSlotsTable {
  connection: string;
  slot: number;
  owner: string | null;
  lease_until: number;
}

export interface OutboxSendsTable {
  id: string;
  connection: string;
  until: number;
}

/** Migration 005: a process delivering through a connection, renewed while it does. */
export interface OutboxSlotDemandTable {
  connection: string;
  owner: string;
  until: number;
}

export interface OutboxDatabase extends Omit<Database, 'messages'> {
  messages: OutboxMessagesTable;
  outbox_slots: OutboxSlotsTable;
  outbox_sends: OutboxSendsTable;
  outbox_slot_demand: OutboxSlotDemandTable;
}

export type OutboxDb = Kysely<OutboxDatabase>;
export type MessageRow = OutboxMessagesTable;

/** The store seen with the outbox's own tables (src/store/schema.ts belongs to the store room). */
export const outboxDb = (store: Store): OutboxDb => store.db as unknown as OutboxDb;
