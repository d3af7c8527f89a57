// Renderer: what the inspector asks again for an answer — the image, question, history, system prompt and the
// answer's own sampling (so only the selection differs), from the visible path.
import type { Message } from '$shared/ipc/dataset.ts';
import type { SamplingSettings } from '$shared/ipc/inference.ts';
import { asInspection, requestFor } from './ChatThread.ts';
import type { AnswerContext } from './InspectorState.svelte.ts';

/** The request answer `message` replied to, or null when it has no question with an image before it. */
export function replayContext(
  path: readonly Message[],
  message: Message,
  fallback: SamplingSettings,
): (AnswerContext & { image: { hash: string } }) | null {
  const at = path.findIndex((m) => m.id === message.id);
  const userIndex = path.slice(0, at).findLastIndex((m) => m.role === 'user');
  const req = userIndex >= 0 ? requestFor([...path], userIndex) : null;
  if (!req?.image) return null;
  const gen = (message.provenance?.generation ?? {}) as { systemPrompt?: string | null };
  const modelDir = message.provenance?.['modelDir'];
  return {
    ...(typeof modelDir === 'string' ? { modelDir } : {}),
    image: { hash: req.image },
    question: req.question,
    history: req.history,
    ...(gen.systemPrompt ? { systemPrompt: gen.systemPrompt } : {}),
    // Replay with the answer's own sampling so only the selection differs.
    sampling: asInspection(message.inspection)?.sampling ?? fallback,
  };
}
