import { simpleParser } from 'mailparser';
import type { Store } from '../store/db.js';
import { newId } from '../ids.js';

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

export interface InboxAttachment {
  index: number;
  filename?: string;
  contentType: string;
  size: number;
  contentId?: string;
  inline: boolean;
}

export interface InboxMessage extends InboxSummary {
  headers: Array<{ name: string; value: string }>;
  text?: string;
  html?: string;
  cc?: string;
  replyTo?: string;
  date?: string;
  attachments: InboxAttachment[];
}

/** What the development SMTP server caught, kept in the database so it survives restarts. */
export class Inbox {
  constructor(private readonly store: Store) {}

  async add(raw: Buffer, envelope: { from: string; to: string[] }): Promise<string> {
    const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    const id = newId('inb');
    await this.store.db
      .insertInto('inbox_messages')
      .values({
        id,
        received_at: Date.now(),
        envelope_from: envelope.from,
        envelope_to: JSON.stringify(envelope.to),
        from_addr: parsed.from?.text ?? '',
        to_addr: addressText(parsed.to),
        subject: parsed.subject ?? '',
        message_id: parsed.messageId ?? null,
        size: raw.length,
        raw,
      })
      .execute();
    return id;
  }

  async list(limit = 100, before?: string): Promise<InboxSummary[]> {
    let query = this.store.db
      .selectFrom('inbox_messages')
      .select(['id', 'received_at', 'envelope_from', 'envelope_to', 'from_addr', 'to_addr', 'subject', 'message_id', 'size'])
      .orderBy('id', 'desc')
      .limit(limit);
    if (before) query = query.where('id', '<', before);
    const rows = await query.execute();
    return rows.map((r) => ({
      id: r.id,
      receivedAt: new Date(r.received_at).toISOString(),
      from: r.from_addr,
      to: r.to_addr,
      subject: r.subject,
      ...(r.message_id ? { messageId: r.message_id } : {}),
      size: r.size,
      envelope: { from: r.envelope_from, to: JSON.parse(r.envelope_to) as string[] },
    }));
  }

  async raw(id: string): Promise<Buffer | undefined> {
    const row = await this.store.db.selectFrom('inbox_messages').select('raw').where('id', '=', id).executeTakeFirst();
    return row ? Buffer.from(row.raw) : undefined;
  }

  async get(id: string): Promise<InboxMessage | undefined> {
    const row = await this.store.db.selectFrom('inbox_messages').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const parsed = await simpleParser(Buffer.from(row.raw), { skipImageLinks: true });
    const headers: Array<{ name: string; value: string }> = parsed.headerLines.map((h) => {
      const colon = h.line.indexOf(':');
      return { name: h.line.slice(0, colon), value: h.line.slice(colon + 1).trim() };
    });
    return {
      id: row.id,
      receivedAt: new Date(row.received_at).toISOString(),
      from: row.from_addr,
      to: row.to_addr,
      subject: row.subject,
      ...(row.message_id ? { messageId: row.message_id } : {}),
      size: row.size,
      envelope: { from: row.envelope_from, to: JSON.parse(row.envelope_to) as string[] },
      headers,
      ...(parsed.text !== undefined ? { text: parsed.text } : {}),
      ...(typeof parsed.html === 'string' ? { html: parsed.html } : {}),
      ...(parsed.cc ? { cc: addressText(parsed.cc) } : {}),
      ...(parsed.replyTo ? { replyTo: parsed.replyTo.text } : {}),
      ...(parsed.date ? { date: parsed.date.toISOString() } : {}),
      attachments: parsed.attachments.map((a, index) => ({
        index,
        ...(a.filename ? { filename: a.filename } : {}),
        contentType: a.contentType,
        size: a.size,
        ...(a.cid ? { contentId: a.cid } : {}),
        inline: a.contentDisposition === 'inline',
      })),
    };
  }

  async attachment(id: string, index: number): Promise<{ filename?: string; contentType: string; content: Buffer } | undefined> {
    const raw = await this.raw(id);
    if (!raw) return undefined;
    const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    const a = parsed.attachments[index];
    return a ? { filename: a.filename, contentType: a.contentType, content: a.content } : undefined;
  }

  async clear(): Promise<number> {
    const result = await this.store.db.deleteFrom('inbox_messages').executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function addressText(value: { text: string } | Array<{ text: string }> | undefined): string {
  if (!value) return '';
  return Array.isArray(value) ? value.map((v) => v.text).join(', ') : value.text;
}
