// Renderer: the open conversation — messages (append-only; main saves them while it answers), the attached image,
// per-chat settings, and streaming answers with stop, regenerate and edit-and-resend. The page sends ids and the
// question; main's chat service persists the answer and its records, and the page reloads the chat when it ends.
import type { Conversation, ImageRecord, Message } from '$shared/ipc/dataset.ts';
import type { ChatAsk } from '$shared/ipc/chat.ts';
import { storedImageUrl } from '$shared/ipc/images.ts';
import { api, ApiError } from '../api/client.ts';
import { toErrorView, type ErrorView } from '../components/errorView.ts';
import { followChatRun, followedStreaming, startChatRun, type ChatRunHandlers, type ShownImage, type Streaming } from './ChatRun.ts';
import { chooseVersion, versionsAt, withShownVersions } from './ChatVersions.ts';
import { draftQuestion, NO_IMAGE, requestFor, unfinishedAnswer, visiblePath } from './ChatThread.ts';
import { replayContext } from './ChatReplay.ts';
import type { AnswerContext } from './InspectorState.svelte.ts';
import { loadChatSettings, saveChatSettings, toSampling, type ChatSettings } from './ChatSettings.svelte.ts';
import { models } from './ModelsState.svelte.ts';
import { appSettings } from './AppSettings.svelte.ts';

export type { ShownImage, Streaming } from './ChatRun.ts';

/** What one question sends, less what every question shares (chat, model, settings). */
type Question = Pick<ChatAsk, 'question' | 'history' | 'imageSha256' | 'userMessageId' | 'replaces' | 'attachImage'>;

/** State of the open chat. */
export class ChatSession {
  conversation: Conversation | null = $state(null);
  messages: Message[] = $state([]);
  /** Which version of an answer is shown, by the id of its latest version (absent: the latest). */
  shown: Record<number, number> = $state({});
  /** The thread as stored: each replacement (edit, regenerate) cuts it at the message it replaces. */
  readonly latestPath: Message[] = $derived(visiblePath(this.messages));
  /** The thread the user sees (and the next question's history): the chosen version of each answer. */
  readonly path: Message[] = $derived(withShownVersions(this.latestPath, this.messages, this.shown));
  /** An image attached for the next question (not yet sent). */
  attachment: ShownImage | null = $state(null);
  attaching = $state(false);
  settings: ChatSettings = $state(loadChatSettings(null));
  streaming: Streaming | null = $state(null);
  error: (ErrorView & { retry: boolean }) | null = $state(null);
  /** Called after a conversation is created or changed (the list refreshes). */
  onchange: (() => void) | null = null;
  /** Bumped whenever another chat is opened, so a late reply does not land in it. */
  private epoch = 0;
  private stopWanted = false;
  /** Asks the failed question again (the error's "Try again"). */
  private again: (() => Promise<boolean>) | null = null;

  constructor() {
    // The defaults for new chats arrive from main once; an empty chat opened before that picks them up.
    void appSettings.ready().then(() => {
      if (!this.conversation && !this.streaming) this.settings = loadChatSettings(null);
    });
  }

  /** The sha256 of the image the next question is about. */
  get currentImage(): string | null {
    if (this.attachment) return this.attachment.sha256;
    for (let i = this.path.length - 1; i >= 0; i--) if (this.path[i]!.images.length) return this.path[i]!.images[0]!;
    return null;
  }

  /** The display URL of a stored image (served by hash; no lookup needed). */
  readonly urlFor = (sha256: string): string => storedImageUrl(sha256);

  /** The image URL and the request answer `message` replied to, so the inspector can ask it again. */
  replayOf(message: Message): { url: string | null; context: AnswerContext | null } {
    const context = replayContext(this.path, message, toSampling(this.settings));
    return { url: context ? this.urlFor(context.image.hash) : null, context };
  }

  /** Opens conversation `id`. */
  async open(id: number): Promise<void> {
    this.detachStreaming();
    this.shown = {};
    this.attachment = null;
    this.error = null;
    this.settings = loadChatSettings(id);
    const epoch = this.epoch;
    if (!(await this.reload(id, epoch))) this.conversation = null;
    else if (epoch === this.epoch) {
      this.settings = loadChatSettings(id, this.messages);
      void this.followRunning(id, epoch);
    }
  }

  /** Shows an answer main is still running in chat `id` (asked before a reload, or by another page) until it ends. */
  private async followRunning(id: number, epoch: number): Promise<void> {
    const live = unfinishedAnswer(this.messages);
    if (!live || this.streaming) return;
    const { requestId } = live;
    this.streaming = followedStreaming(live);
    const mine = (): boolean => epoch === this.epoch && this.streaming?.requestId === requestId;
    await followChatRun(requestId, this.handlers(mine));
    await this.reload(id, epoch);
    if (mine()) this.streaming = null;
  }

  /** Starts an empty chat (created in the store with the first question). */
  reset(): void {
    this.detachStreaming();
    this.conversation = null;
    this.messages = [];
    this.shown = {};
    this.attachment = null;
    this.error = null;
    this.settings = loadChatSettings(null);
  }

  /** Adds a file's bytes to the image store and attaches it to the next question. */
  async attach(file: File): Promise<boolean> {
    this.attaching = true;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      this.attachRecord(await api.dataset.addImage(bytes, file.name || 'pasted image'));
      return true;
    } catch (thrown) {
      this.error = { ...toErrorView(thrown, `Could not use “${file.name || 'the pasted image'}” as an image`), retry: false };
      return false;
    } finally {
      this.attaching = false;
    }
  }

  /** Attaches a model's sample image (a file in its folder, from the model card) and asks the sample's question. */
  async askSample(sample: { path: string; question: string }): Promise<boolean> {
    if (this.streaming) return false;
    try {
      this.attachRecord(await api.dataset.addImageFile(sample.path));
    } catch (thrown) {
      this.error = { ...toErrorView(thrown, 'Could not use the sample image'), retry: false };
      return false;
    }
    return this.send(sample.question);
  }

  private attachRecord(image: ImageRecord): void {
    const { sha256, width, height, fileName } = image;
    this.attachment = { sha256, url: this.urlFor(sha256), width, height, fileName };
    this.error = null;
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
      this.error = NO_IMAGE;
      return false;
    }
    const attachImage = this.attachment !== null;
    const images = attachImage ? [image] : [];
    const path = [...this.path, draftQuestion(text, images)];
    const { history } = requestFor(path, path.length - 1);
    return this.ask({ question: text, history, imageSha256: image, attachImage }, null, () => (this.attachment = null));
  }

  /** Sends an edited version of user message `id` (it replaces that message and what followed it). */
  async editAndResend(id: number, text: string): Promise<void> {
    const at = this.path.findIndex((m) => m.id === id);
    const original = this.path[at];
    if (!original || this.streaming || !text.trim()) return;
    const { image, history } = requestFor(this.path, at);
    if (!image) return;
    const attachImage = original.images.length > 0;
    await this.ask({ question: text.trim(), history, imageSha256: image, attachImage, replaces: id }, null);
  }

  /** Answers the question before assistant message `id` again (a new version: it replaces the latest one). */
  async regenerate(id: number): Promise<void> {
    const at = this.path.findIndex((m) => m.id === id);
    const userIndex = this.path.slice(0, Math.max(0, at)).findLastIndex((m) => m.role === 'user');
    if (at < 0 || userIndex < 0 || this.streaming) return;
    await this.answerAgain(userIndex, this.latestPath[at]!.id);
  }

  /** The versions of the answer at `m`'s place in the thread, oldest first, and which one is shown. */
  versions(m: Message): { versions: Message[]; index: number } {
    return versionsAt(this.latestPath, this.path, this.messages, m);
  }

  /** Shows version `index` (0 = the first) of the answer at `m`'s place. */
  showVersion(m: Message, index: number): void {
    this.shown = chooseVersion(this.shown, this.versions(m).versions, index);
  }

  /** Answers the failed question again (a failed answer is saved, marked failed, and left out of the thread). */
  async retry(): Promise<void> {
    const again = this.again;
    if (again && !this.streaming) await again();
  }

  /** Stops the answer being generated; main keeps the text so far, marked stopped. */
  stop(): void {
    const id = this.streaming?.requestId;
    if (id) void api.chat.stop(id).catch(() => false);
    else if (this.streaming) this.stopWanted = true;
  }

  /** Leaving a chat stops its answer; main still saves what it had to that chat. */
  private detachStreaming(): void {
    this.stop();
    this.streaming = null;
    this.epoch += 1;
  }

  private async answerAgain(userIndex: number, replaces: number | null): Promise<void> {
    const { image, history, question } = requestFor(this.path, userIndex);
    if (!image) return;
    const userMessageId = this.path[userIndex]!.id;
    await this.ask({ question, history, imageSha256: image, userMessageId, ...(replaces !== null ? { replaces } : {}) }, replaces);
  }

  /** Token and stage events shown while `mine()` says the answer is still this page's. */
  private handlers(mine: () => boolean): ChatRunHandlers {
    return {
      ontoken: (t) => {
        if (mine()) this.streaming = { ...this.streaming!, text: t.answer, generated: t.generated, stage: 'generate' };
      },
      onstage: (stage) => {
        if (mine() && this.streaming!.stage !== 'generate') this.streaming = { ...this.streaming!, stage };
      },
    };
  }

  /** Loads chat `id` into the page unless another chat was opened since `epoch`; false when it could not be read. */
  private async reload(id: number, epoch: number): Promise<boolean> {
    try {
      const { conversation, messages } = await api.dataset.getConversation(id);
      if (epoch !== this.epoch) return true;
      this.conversation = conversation;
      this.messages = messages;
      return true;
    } catch (thrown) {
      if (epoch === this.epoch) this.error = { ...toErrorView(thrown, 'Could not open the chat'), retry: false };
      return false;
    }
  }

  /** Runs one answer in main and follows it; resolves when it ended and the chat was reloaded. */
  private async ask(question: Question, replaces: number | null, onstarted?: () => void): Promise<boolean> {
    const epoch = this.epoch;
    const s = this.settings;
    const newChat = this.conversation === null;
    const requestId = globalThis.crypto?.randomUUID ? `chat-${globalThis.crypto.randomUUID()}` : null; // Stop works at once
    this.streaming = { requestId, assistantMessageId: null, text: '', generated: 0, stage: 'queued', replaces };
    this.stopWanted = false;
    this.error = null;
    this.again = null;
    const mine = (): boolean => epoch === this.epoch && this.streaming !== null;
    const run = startChatRun(
      {
        ...question,
        ...(this.conversation ? { conversationId: this.conversation.id } : {}),
        ...(models.modelDir ? { modelDir: models.modelDir } : {}),
        ...(s.systemPrompt.trim() ? { systemPrompt: s.systemPrompt } : {}),
        ...(requestId ? { requestId } : {}),
        sampling: toSampling(s),
      },
      this.handlers(mine),
    );
    let started;
    try {
      started = await run.started;
    } catch (thrown) {
      if (epoch === this.epoch) {
        this.streaming = null;
        this.error = { ...toErrorView(thrown, 'The model could not answer'), retry: false };
      }
      return false;
    }
    onstarted?.();
    if (mine()) {
      this.streaming = { ...this.streaming!, requestId: started.requestId, assistantMessageId: started.assistantMessageId };
      if (this.stopWanted) this.stop();
    }
    if (newChat) saveChatSettings(started.conversationId, s);
    await this.reload(started.conversationId, epoch);
    this.onchange?.();
    const end = await run.ended;
    void models.refreshStatus();
    // Reload first: the saved answer replaces the streamed one without a frame of the empty message between.
    await this.reload(started.conversationId, epoch);
    if (mine() && this.streaming?.requestId === started.requestId) this.streaming = null;
    this.onchange?.();
    if (end.outcome === 'failed' && end.error && epoch === this.epoch) {
      const userMessageId = started.userMessageId;
      this.again = () => this.ask({ ...question, userMessageId, attachImage: undefined }, replaces);
      this.error = { ...toErrorView(new ApiError(end.error), 'The model could not answer'), retry: true };
    }
    return true;
  }
}
