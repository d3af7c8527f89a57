// Renderer: per-chat system prompt and sampling settings, and the defaults for new chats (main's settings service).
import type { SamplingSettings } from '$shared/ipc/inference.ts';
import type { Message } from '$shared/ipc/dataset.ts';
import { appSettings } from './AppSettings.svelte.ts';

/** What a chat sends with every question. */
export interface ChatSettings {
  systemPrompt: string;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  topK: number;
  repetitionPenalty: number;
  maxNewTokens: number;
  seed: number;
}

/** Settings a fresh install starts from. */
export const FACTORY_SETTINGS: Readonly<ChatSettings> = Object.freeze({
  systemPrompt: '',
  temperature: 0,
  topP: 1,
  topK: 0,
  repetitionPenalty: 1,
  maxNewTokens: 256,
  seed: 0,
});

/** Settings of chats opened in this session and changed before their next answer (the answers record the rest). */
const changedChats = new Map<number, ChatSettings>();

/** The defaults for new chats (Settings → Models; kept by main in the data folder). */
export function loadDefaults(): ChatSettings {
  const { sampling = {}, systemPrompt = '' } = appSettings.value.chatDefaults;
  return { ...FACTORY_SETTINGS, ...sampling, systemPrompt };
}

/** Saves the defaults for new chats (throws ApiError when main could not store them). */
export async function saveDefaults(settings: ChatSettings): Promise<void> {
  const { systemPrompt, ...sampling } = settings;
  await appSettings.update({ chatDefaults: { sampling: toSampling({ ...settings, ...sampling }), systemPrompt } });
}

/**
 * The settings of chat `id`: those changed in this session, else the ones its last answer was generated with (main
 * saves them in the answer's provenance), else the defaults. Nothing is kept in the page's storage.
 */
export function loadChatSettings(id: number | null, messages: readonly Message[] = []): ChatSettings {
  const defaults = loadDefaults();
  if (id === null) return defaults;
  const changed = changedChats.get(id);
  if (changed) return { ...changed };
  const used = messages.findLast((m) => m.role === 'assistant' && m.provenance?.generation)?.provenance?.generation;
  if (!used) return defaults;
  const { systemPrompt, ...rest } = used as Partial<ChatSettings> & { systemPrompt?: string | null };
  const known = Object.fromEntries(Object.entries(rest).filter(([k, v]) => k in FACTORY_SETTINGS && typeof v === 'number'));
  return { ...defaults, ...known, systemPrompt: systemPrompt ?? '' };
}

/** Keeps the settings of chat `id` for this session (its next answer records them). */
export function saveChatSettings(id: number, settings: ChatSettings): void {
  changedChats.set(id, { ...settings });
}

/** The contract's sampling settings for `s`. */
export function toSampling(s: ChatSettings): SamplingSettings {
  return {
    temperature: s.temperature,
    topP: s.topP > 0 && s.topP <= 1 ? s.topP : 1,
    topK: Math.max(0, Math.round(s.topK)),
    repetitionPenalty: s.repetitionPenalty,
    maxNewTokens: Math.max(1, Math.round(s.maxNewTokens)),
    seed: Math.round(s.seed),
  };
}
