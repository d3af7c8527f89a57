// Renderer: one streamed `ask` / `reselect` call — subscribes to token and stage events of its requestId only. The
// inspector's re-selection uses it; the chat does not (main saves chat answers: ChatRun.ts, no drain needed there).
import type { AskRequest, AskResult, StageEvent } from '$shared/ipc/inference.ts';
import { api } from '../api/client.ts';

/** Callbacks of a streamed request. */
export interface StreamHandlers {
  ontext: (text: string, generated: number) => void;
  onstage?: (stage: StageEvent['stage']) => void;
}

/** How long a failed or stopped request keeps listening for pieces still in flight. */
const EVENT_DRAIN_MS = 200;

/** A fresh request id. */
export function newRequestId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Calls `kind` with `request`, delivering the answer's pieces as they arrive. Rejects with ApiError. */
export async function askStreaming(kind: 'ask' | 'reselect', request: AskRequest, handlers: StreamHandlers): Promise<AskResult> {
  const id = request.requestId;
  const offToken = api.inference.onToken((e) => {
    if (e.requestId === id) handlers.ontext(e.text, e.generated);
  });
  const offStage = api.inference.onStage((e) => {
    if (e.requestId === id) handlers.onstage?.(e.stage);
  });
  try {
    return await api.inference[kind](request);
  } catch (thrown) {
    // In browser mode events (SSE) and the call's reply (fetch) travel apart: a stopped answer's last pieces can
    // arrive after its reply, so listen a moment longer before the partial text is kept.
    await new Promise((resolve) => setTimeout(resolve, EVENT_DRAIN_MS));
    throw thrown;
  } finally {
    offToken();
    offStage();
  }
}
