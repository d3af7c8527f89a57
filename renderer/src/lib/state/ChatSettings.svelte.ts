// Renderer: per-chat system prompt and sampling settings, and the defaults for new chats (kept in localStorage).
import type { SamplingSettings } from '$shared/ipc/inference.ts';

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

const DEFAULTS_KEY = 'slime.chat.defaults';
const chatKey = (id: number): string => `slime.chat.${id}.settings`;

/** Reads a JSON value from localStorage, or `fallback` when absent or unreadable. */
export function readStored<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

/** Writes a JSON value to localStorage (ignored when storage is unavailable). */
export function writeStored(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage can be disabled; settings then live for the session only.
  }
}

/** The defaults for new chats. */
export function loadDefaults(): ChatSettings {
  return { ...FACTORY_SETTINGS, ...readStored<Partial<ChatSettings>>(DEFAULTS_KEY, {}) };
}

/** Saves the defaults for new chats. */
export function saveDefaults(settings: ChatSettings): void {
  writeStored(DEFAULTS_KEY, settings);
}

/** The settings of chat `id` (the defaults when it has none). */
export function loadChatSettings(id: number | null): ChatSettings {
  const defaults = loadDefaults();
  return id === null ? defaults : { ...defaults, ...readStored<Partial<ChatSettings>>(chatKey(id), {}) };
}

/** Saves the settings of chat `id`. */
export function saveChatSettings(id: number, settings: ChatSettings): void {
  writeStored(chatKey(id), settings);
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
