// Contract of the `chat` service: main runs ask-and-persist — it saves the question, the growing answer, its
// inspection record and provenance whether or not the page is still there; the renderer gets ids and events.
import { z } from 'zod';
import { defineContract, event, method } from './contract.ts';
import { askRequestSchema } from './inference.ts';
import { sha } from './datasetSchemas.ts';
import type { AppError } from '../errors.ts';

const messageId = z.number().int().positive();

/** What the page sends: the question, the stored image by hash, the conversation (a new one when omitted). */
export const chatAskSchema = askRequestSchema.omit({ requestId: true, image: true }).extend({
  conversationId: messageId.optional(),
  imageSha256: sha,
  /** Answer this saved question again (regenerate, retry) instead of saving `question` as a new one. */
  userMessageId: messageId.optional(),
  /** The message the first new one replaces: the edited question, or the answer being regenerated (`provenance.replaces`). */
  replaces: messageId.optional(),
  /** Whether a new question message carries the image (false: it asks about an image attached earlier). Default true. */
  attachImage: z.boolean().optional(),
  /**
   * The id the page chose for this answer (`chat-` + a UUID), so it can stop the answer before `ask` has replied
   * (browser mode: the reply and the first events travel apart). Main chooses one when omitted.
   */
  requestId: z
    .string()
    .regex(/^chat-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    .optional(),
});
/** Input of {@link chatAskSchema}. */
export type ChatAsk = z.input<typeof chatAskSchema>;
/** A {@link ChatAsk} after parsing. */
export type ParsedChatAsk = z.output<typeof chatAskSchema>;

/** The ids of a started ask. */
export interface ChatStarted {
  requestId: string;
  conversationId: number;
  /** The question answered (new, or the one given as `userMessageId`). */
  userMessageId: number;
  assistantMessageId: number;
}

/** A piece of a streamed answer, with the whole text so far. */
export interface ChatToken {
  requestId: string;
  assistantMessageId: number;
  text: string;
  answer: string;
  /** Tokens generated so far. */
  generated: number;
}

/** The end of an ask: saved with its records, stopped (what it had is saved), or failed. */
export interface ChatEnd {
  requestId: string;
  assistantMessageId: number;
  outcome: 'done' | 'stopped' | 'failed';
  error: AppError | null;
}

/** The `chat` service. */
export const chatContract = defineContract(
  'chat',
  {
    /** Starts an answer and resolves at once with the ids; `token` and `end` events follow. Errors: `db/not-found`. */
    ask: method<ChatStarted, z.ZodTuple<[typeof chatAskSchema], null>>(z.tuple([chatAskSchema])),
    /** The request ids of the answers running now (a page opening a chat follows a running answer). */
    running: method<string[]>(),
    /** Stops an answer that is starting or running (it is saved as stopped with what it had); false when it is neither. */
    stop: method<boolean, z.ZodTuple<[z.ZodString], null>>(z.tuple([z.string().min(1)])),
  },
  {
    /** A piece of an answer. */
    token: event<ChatToken>(),
    /** An answer finished, stopped or failed; the message in the database is final. */
    end: event<ChatEnd>(),
  },
);

/** The `chat` contract's type. */
export type ChatContract = typeof chatContract;
