// Queries on conversations, messages and message attachments (database worker).
import type Database from 'better-sqlite3';
import type { Conversation, Message, MessagePatch, NewMessage, Page, Provenance } from '../../electron/shared/ipc/dataset.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import { all, get, join, list, run, sql, type Sql } from '../sql.ts';

interface ConversationRow {
  id: number;
  title: string;
  created_at: number;
  updated_at: number;
  message_count: number;
}

interface MessageRow {
  id: number;
  conversation_id: number;
  role: Message['role'];
  text: string;
  inspection: string | null;
  perf: string | null;
  provenance: string | null;
  created_at: number;
  images: string | null;
}

const CONVERSATION_COLUMNS = sql`c.id, c.title, c.created_at, c.updated_at, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count`;

function toConversation(row: ConversationRow): Conversation {
  return { id: row.id, title: row.title, createdAt: row.created_at, updatedAt: row.updated_at, messageCount: row.message_count };
}

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    role: row.role,
    text: row.text,
    images: row.images ? row.images.split(',') : [],
    inspection: parseJson(row.inspection),
    perf: parseJson(row.perf),
    provenance: parseJson(row.provenance) as Provenance | null,
    createdAt: row.created_at,
  };
}

/** Creates a conversation. */
export function createConversation(db: Database.Database, title: string, now: number): Conversation {
  const { lastInsertRowid } = run(db, sql`INSERT INTO conversations (title, created_at, updated_at) VALUES (${title}, ${now}, ${now})`);
  return getConversation(db, lastInsertRowid);
}

/** A conversation by id. Throws `db/not-found`. */
export function getConversation(db: Database.Database, id: number): Conversation {
  const row = get<ConversationRow>(db, sql`SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ${id}`);
  if (!row) throw new AppFailure('db/not-found', `No conversation ${id}.`);
  return toConversation(row);
}

/** Conversations by latest activity; `search` matches the title or any message text (substring). */
export function listConversations(db: Database.Database, search: string | undefined, offset: number, limit: number): Page<Conversation> {
  let where: Sql = sql`1`;
  if (search && search.trim()) {
    const pattern = `%${search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where = sql`(c.title LIKE ${pattern} ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.text LIKE ${pattern} ESCAPE '\\'))`;
  }
  const rows = all<ConversationRow>(
    db,
    sql`SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE ${where} ORDER BY c.updated_at DESC, c.id DESC LIMIT ${limit} OFFSET ${offset}`,
  );
  const total = get<{ n: number }>(db, sql`SELECT count(*) AS n FROM conversations c WHERE ${where}`)?.n ?? 0;
  return { items: rows.map(toConversation), total, offset, limit };
}

/** Renames a conversation. Throws `db/not-found`. */
export function renameConversation(db: Database.Database, id: number, title: string, now: number): Conversation {
  const { changes } = run(db, sql`UPDATE conversations SET title = ${title}, updated_at = ${now} WHERE id = ${id}`);
  if (changes === 0) throw new AppFailure('db/not-found', `No conversation ${id}.`);
  return getConversation(db, id);
}

/** Deletes a conversation with its messages (examples keep their content; their source link is cleared). */
export function deleteConversation(db: Database.Database, id: number): boolean {
  return run(db, sql`DELETE FROM conversations WHERE id = ${id}`).changes > 0;
}

const MESSAGE_SELECT = sql`SELECT m.*, (SELECT group_concat(sha256, ',') FROM (SELECT sha256 FROM message_images mi WHERE mi.message_id = m.id ORDER BY position)) AS images FROM messages m`;

/** Appends a message (images must be stored already). Throws `db/not-found`. */
export function appendMessage(db: Database.Database, conversationId: number, message: NewMessage, now: number): Message {
  getConversation(db, conversationId);
  const images = message.images ?? [];
  const known = all<{ sha256: string }>(db, sql`SELECT sha256 FROM images WHERE sha256 IN ${list(images)}`);
  if (known.length !== new Set(images).size)
    throw new AppFailure('db/not-found', 'A message image is not in the image store; add it first.');
  const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
  const { lastInsertRowid } = run(
    db,
    sql`INSERT INTO messages (conversation_id, role, text, inspection, perf, provenance, created_at)
        VALUES (${conversationId}, ${message.role}, ${message.text}, ${json(message.inspection)}, ${json(message.perf)}, ${json(message.provenance)}, ${now})`,
  );
  images.forEach((sha256, position) =>
    run(db, sql`INSERT INTO message_images (message_id, position, sha256) VALUES (${lastInsertRowid}, ${position}, ${sha256})`),
  );
  run(db, sql`UPDATE conversations SET updated_at = ${now} WHERE id = ${conversationId}`);
  return getMessage(db, lastInsertRowid);
}

/** Replaces a message's text and, when given, its inspection, perf and provenance (a growing answer). Throws `db/not-found`. */
export function updateMessage(db: Database.Database, id: number, patch: MessagePatch): Message {
  const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
  const set = [sql`text = ${patch.text}`];
  if (patch.inspection !== undefined) set.push(sql`inspection = ${json(patch.inspection)}`);
  if (patch.perf !== undefined) set.push(sql`perf = ${json(patch.perf)}`);
  if (patch.provenance !== undefined) set.push(sql`provenance = ${json(patch.provenance)}`);
  const { changes } = run(db, sql`UPDATE messages SET ${join(set, ', ')} WHERE id = ${id}`);
  if (changes === 0) throw new AppFailure('db/not-found', `No message ${id}.`);
  return getMessage(db, id);
}

/** A message by id. Throws `db/not-found`. */
export function getMessage(db: Database.Database, id: number): Message {
  const row = get<MessageRow>(db, sql`${MESSAGE_SELECT} WHERE m.id = ${id}`);
  if (!row) throw new AppFailure('db/not-found', `No message ${id}.`);
  return toMessage(row);
}

/** Messages of a conversation in order. */
export function listMessages(db: Database.Database, conversationId: number): Message[] {
  return all<MessageRow>(db, sql`${MESSAGE_SELECT} WHERE m.conversation_id = ${conversationId} ORDER BY m.id`).map(toMessage);
}

/** The last user message before `messageId` in its conversation, or undefined. */
export function previousUserMessage(db: Database.Database, message: Message): Message | undefined {
  const row = get<MessageRow>(
    db,
    sql`${MESSAGE_SELECT} WHERE m.conversation_id = ${message.conversationId} AND m.id < ${message.id} AND m.role = 'user' ORDER BY m.id DESC LIMIT 1`,
  );
  return row ? toMessage(row) : undefined;
}

/** The most recent image attached at or before `messageId` in its conversation (images persist across turns). */
export function imageForMessage(db: Database.Database, message: Message): string | undefined {
  return get<{ sha256: string }>(
    db,
    sql`SELECT mi.sha256 FROM message_images mi JOIN messages m ON m.id = mi.message_id
        WHERE m.conversation_id = ${message.conversationId} AND m.id <= ${message.id} ORDER BY m.id DESC, mi.position LIMIT 1`,
  )?.sha256;
}
