// Renderer: the visible chat as Markdown or JSON (answers with their figures and provenance), saved as a download.
import type { Conversation, Message } from '$shared/ipc/dataset.ts';
import { asInspection, asPerf } from '../../lib/state/ChatThread.ts';

function figures(m: Message): string {
  const r = asInspection(m.inspection);
  const p = asPerf(m.perf);
  if (!r) return p?.stopped ? `_stopped after ${p.generated} tokens_` : '';
  const tps = p?.tokensPerSecond ? `, ${p.tokensPerSecond.toFixed(1)} tok/s` : '';
  return `_TTFT ${Math.round(r.timings.ttft)} ms${tps}; visual tokens: ${r.tokens.global} global, ${r.tokens.localAfter}/${r.tokens.localBefore} local kept; grid ${r.grid.cols}×${r.grid.rows}; ${m.provenance?.model ?? ''}_`;
}

/** The chat as Markdown. */
export function chatMarkdown(conversation: Conversation | null, path: Message[]): string {
  const lines = [`# ${conversation?.title ?? 'Chat'}`, ''];
  for (const m of path) {
    if (m.role === 'user') lines.push(`**You${m.images.length ? ` (image ${m.images[0]!.slice(0, 12)})` : ''}:** ${m.text}`, '');
    else lines.push(`**SliME:** ${m.text}`, '', figures(m), '');
  }
  return lines.join('\n');
}

/** The chat as JSON: messages with images (sha256), figures and provenance (inspection records left out). */
export function chatJson(conversation: Conversation | null, path: Message[]): string {
  const messages = path.map((m) => ({
    role: m.role,
    text: m.text,
    images: m.images,
    perf: m.perf,
    provenance: m.provenance,
    createdAt: m.createdAt,
  }));
  return JSON.stringify({ title: conversation?.title ?? 'Chat', exportedAt: new Date().toISOString(), messages }, null, 2);
}

/** Offers `text` as a file download named `name`. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file name from the chat title. */
export function exportName(conversation: Conversation | null, ext: string): string {
  const base =
    (conversation?.title ?? 'chat')
      .replace(/[^\w -]+/g, '')
      .trim()
      .replace(/\s+/g, '-')
      .slice(0, 60) || 'chat';
  return `${base}.${ext}`;
}
