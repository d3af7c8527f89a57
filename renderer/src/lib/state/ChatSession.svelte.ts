// Renderer: the open conversation — messages (append-only, persisted through the dataset contract), the attached
// image, per-chat settings, and streaming answers with stop, regenerate and edit-and-resend.
import type { Conversation, Message, NewMessage } from '$shared/ipc/dataset.ts';
import type { AskResult, StageEvent } from '$shared/ipc/inference.ts';
import { api, ApiError } from '../api/client.ts';
import { toErrorView, type ErrorView } from '../components/errorView.ts';
import { askStreaming, newRequestId } from './ChatStream.ts';
import { answerMessage, asInspection, requestFor, visiblePath, type AnswerPerf } from './ChatThread.ts';
import type { AnswerContext } from './InspectorState.svelte.ts';
import { loadChatSettings, saveChatSettings, toSampling, type ChatSettings } from './ChatSettings.svelte.ts';
import { models } from './ModelsState.svelte.ts';

/** An image in the store, ready to display. */
export interface ShownImage {
  sha256: string;
  url: string;
  width: number;
  height: number;
  fileName: string | null;
}

/** The answer being generated. */
export interface Streaming {
  requestId: string;
  text: string;
  generated: number;
  stage: StageEvent['stage'];
  /** The message the answer will replace (regenerate), or null. */
  replaces: number | null;
}

/** State of the open chat. */
export class ChatSession {
  conversation: Conversation | null = $state(null);
  messages: Message[] = $state([]);
  readonly path: Message[] = $derived(visiblePath(this.messages));
  /** An image attached for the next question (not yet sent). */
  attachment: ShownImage | null = $state(null);
  attaching = $state(false);
  settings: ChatSettings = $state(loadChatSettings(null));
  streaming: Streaming | null = $state(null);
  error: (ErrorView & { retry: boolean }) | null = $state(null);
  /** Display URLs of stored images by sha256. */
  urls: Record<string, string> = $state({});
  /** Called after a conversation is created or changed (the list refreshes). */
  onchange: (() => void) | null = null;

  /** The sha256 of the image the next question is about. */
  get currentImage(): string | null {
    if (this.attachment) return this.attachment.sha256;
    for (let i = this.path.length - 1; i >= 0; i--) if (this.path[i]!.images.length) return this.path[i]!.images[0]!;
    return null;
  }

  /** The image URL and the request answer `message` replied to, so the inspector can ask it again. */
  replayOf(message: Message): { url: string | null; context: AnswerContext | null } {
    const at = this.path.findIndex((m) => m.id === message.id);
    const userIndex = this.path.slice(0, at).findLastIndex((m) => m.role === 'user');
    const req = userIndex >= 0 ? requestFor(this.path, userIndex) : null;
    if (!req?.image) return { url: null, context: null };
    const gen = (message.provenance?.generation ?? {}) as { systemPrompt?: string | null };
    const modelDir = message.provenance?.['modelDir'];
    const context: AnswerContext = {
      ...(typeof modelDir === 'string' ? { modelDir } : {}),
      image: { hash: req.image },
      question: req.question,
      history: req.history,
      ...(gen.systemPrompt ? { systemPrompt: gen.systemPrompt } : {}),
      // Replay with the answer's own sampling so only the selection differs.
      sampling: asInspection(message.inspection)?.sampling ?? toSampling(this.settings),
    };
    return { url: this.urls[req.image] ?? null, context };
  }

  /** Opens conversation `id`. */
  async open(id: number): Promise<void> {
    this.detachStreaming();
    try {
      const { conversation, messages } = await api.dataset.getConversation(id);
      this.conversation = conversation;
      this.messages = messages;
      this.attachment = null;
      this.error = null;
      this.settings = loadChatSettings(id);
      for (const m of messages) for (const sha of m.images) void this.urlFor(sha);
    } catch (thrown) {
      this.error = { ...toErrorView(thrown, 'Could not open the chat'), retry: false };
    }
  }

  /** Starts an empty chat (created in the store with the first question). */
  reset(): void {
    this.detachStreaming();
    this.conversation = null;
    this.messages = [];
    this.attachment = null;
    this.error = null;
    this.settings = loadChatSettings(null);
  }

  /** The display URL of a stored image (resolved once, then cached). */
  async urlFor(sha256: string): Promise<string | null> {
    if (this.urls[sha256]) return this.urls[sha256];
    try {
      const url = await api.dataset.imageUrl(sha256);
      this.urls[sha256] = url;
      return url;
    } catch {
      return null;
    }
  }

  /** Adds a file's bytes to the image store and attaches it to the next question. */
  async attach(file: File): Promise<boolean> {
    this.attaching = true;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const image = await api.dataset.addImage(bytes, file.name || 'pasted image');
      const url = (await this.urlFor(image.sha256)) ?? '';
      this.attachment = { sha256: image.sha256, url, width: image.width, height: image.height, fileName: image.fileName };
      this.error = null;
      return true;
    } catch (thrown) {
      this.error = { ...toErrorView(thrown, `Could not use “${file.name || 'the pasted image'}” as an image`), retry: false };
      return false;
    } finally {
      this.attaching = false;
    }
  }

  /** Saves the chat's settings. */
  updateSettings(next: ChatSettings): void {
    this.settings = next;
    if (this.conversation) saveChatSettings(this.conversation.id, next);
  }

  /** Asks a new question about the current image; false when it was refused (no text, busy, no image). */
  async send(question: string): Promise<boolean> {
    const text = question.trim();
    if (!text || this.streaming) return false;
    const image = this.currentImage;
    if (!image) {
      this.error = {
        message: 'Attach an image first: SliME answers questions about an image.',
        code: undefined,
        hint: 'Drop an image here, paste one, or use Attach image.',
        retry: false,
      };
      return false;
    }
    const images = this.attachment ? [image] : [];
    const user = await this.append({ role: 'user', text, images });
    if (!user) return false;
    this.attachment = null;
    await this.answer(user.id, null);
    return true;
  }

  /** Sends an edited version of user message `id` (it replaces that message and what followed it). */
  async editAndResend(id: number, text: string): Promise<void> {
    const original = this.path.find((m) => m.id === id);
    if (!original || this.streaming || !text.trim()) return;
    const user = await this.append({ role: 'user', text: text.trim(), images: original.images, provenance: { replaces: id } });
    if (user) await this.answer(user.id, null);
  }

  /** Answers the question before assistant message `id` again (the new answer replaces it). */
  async regenerate(id: number): Promise<void> {
    const at = this.path.findIndex((m) => m.id === id);
    const user = this.path.slice(0, at).findLast((m) => m.role === 'user');
    if (at < 0 || !user || this.streaming) return;
    await this.answer(user.id, id);
  }

  /** Answers the last question again after a failure. */
  async retry(): Promise<void> {
    const last = this.path.at(-1);
    if (last?.role === 'user') await this.answer(last.id, null);
  }

  /** Leaving a chat stops its answer; the partial text is still saved to that chat. */
  private detachStreaming(): void {
    this.stop();
    this.streaming = null;
  }

  /** Stops the answer being generated; the text so far is kept. */
  stop(): void {
    if (this.streaming) void api.inference.cancel(this.streaming.requestId).catch(() => false);
  }

  private async ensureConversation(title: string): Promise<Conversation | null> {
    if (this.conversation) return this.conversation;
    try {
      const created = await api.dataset.createConversation({ title: title.slice(0, 60) });
      this.conversation = created;
      saveChatSettings(created.id, this.settings);
      return created;
    } catch (thrown) {
      this.error = { ...toErrorView(thrown, 'Could not create the chat'), retry: false };
      return null;
    }
  }

  /** Appends to the open chat, or to chat `to` (an answer that finishes after the user switched chats). */
  private async append(message: NewMessage, to?: number): Promise<Message | null> {
    const id = to ?? (await this.ensureConversation(message.text))?.id;
    if (id === undefined) return null;
    try {
      const saved = await api.dataset.appendMessage(id, message);
      if (this.conversation?.id === id) this.messages = [...this.messages, saved];
      this.onchange?.();
      return saved;
    } catch (thrown) {
      this.error = { ...toErrorView(thrown, 'Could not save the message'), retry: false };
      return null;
    }
  }

  private async answer(userId: number, replaces: number | null): Promise<void> {
    const index = this.path.findIndex((m) => m.id === userId);
    const { image, history, question } = requestFor(this.path, index);
    if (!image) return;
    const requestId = newRequestId('chat');
    const conversationId = this.conversation?.id;
    this.streaming = { requestId, text: '', generated: 0, stage: 'queued', replaces };
    this.error = null;
    const s = this.settings;
    let result: AskResult;
    let partial = { text: '', generated: 0 };
    try {
      result = await askStreaming(
        'ask',
        {
          requestId,
          ...(models.modelDir ? { modelDir: models.modelDir } : {}),
          image: { hash: image },
          question,
          history,
          ...(s.systemPrompt.trim() ? { systemPrompt: s.systemPrompt } : {}),
          sampling: toSampling(s),
        },
        {
          ontext: (piece, count) => {
            partial = { text: partial.text + piece, generated: count };
            if (this.streaming?.requestId === requestId) this.streaming = { ...this.streaming, ...partial, stage: 'generate' };
          },
          onstage: (stage) => {
            if (this.streaming?.requestId === requestId) this.streaming = { ...this.streaming, stage };
          },
        },
      );
    } catch (thrown) {
      if (this.streaming?.requestId === requestId) this.streaming = null;
      await this.finishFailed(thrown, replaces, partial, conversationId);
      return;
    }
    if (this.streaming?.requestId === requestId) this.streaming = null;
    void models.refreshStatus();
    await this.append(answerMessage(result, s.systemPrompt, replaces), conversationId);
  }

  private async finishFailed(
    thrown: unknown,
    replaces: number | null,
    partial: { text: string; generated: number },
    to: number | undefined,
  ): Promise<void> {
    if (thrown instanceof ApiError && thrown.code === 'inference/cancelled') {
      if (partial.text) {
        const perf: AnswerPerf = { ttftMs: null, tokensPerSecond: null, totalMs: null, generated: partial.generated, stopped: true };
        await this.append(
          {
            role: 'assistant',
            text: partial.text,
            perf,
            provenance: replaces !== null ? { replaces, stopped: true } : { stopped: true },
          },
          to,
        );
      }
      return;
    }
    if (this.conversation?.id === to) this.error = { ...toErrorView(thrown, 'The model could not answer'), retry: true };
  }
}
