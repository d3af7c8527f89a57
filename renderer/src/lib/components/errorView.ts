// Renderer: turns anything a service call threw into what the user sees — message, ErrorCode and a way forward.
import { ApiError } from '../api/client.ts';

/** An error as shown in an ErrorNotice. */
export interface ErrorView {
  message: string;
  code: string | undefined;
  hint: string | undefined;
}

const HINTS: Record<string, string> = {
  'image/unsupported': 'Attach a PNG, JPEG, WebP, GIF, TIFF or AVIF image.',
  'image/corrupt': 'The file could not be decoded. Re-export it from an image editor or pick another file.',
  'image/too-large': 'Downscale the image (fewer pixels) and attach it again.',
  'image/too-small': 'Use a larger image.',
  'image/not-found': 'The image is no longer in the store. Attach it again.',
  'inference/model-missing': 'Pick a model in Settings → Models, or add its folder there.',
  'inference/model-invalid': 'The model folder is damaged. Pick another model in Settings → Models.',
  'inference/model-unsupported': 'This model needs a newer SliME Studio. Pick another model in Settings → Models.',
  'inference/provider-failed': 'Choose the CPU execution provider in Settings and load the model again.',
  'inference/crashed': 'The inference process restarts on the next request. Try again.',
  'process/crashed': 'The background process restarts on the next request. Try again.',
  'inference/timeout': 'The request took too long. Try fewer new tokens or a smaller image.',
  'prompt/empty': 'Type a question first.',
  'prompt/too-long': 'Start a new chat, or shorten the question or system prompt.',
  'db/read-only': 'The dataset file is open read-only (it was damaged). See Settings for the backup.',
  'db/disk-full': 'Free some disk space and try again.',
  'db/not-found': 'It was deleted meanwhile. Refresh the list.',
  'ipc/bad-args': 'This is a bug in SliME Studio; please report it.',
  internal: 'This is a bug in SliME Studio; please report it.',
};

/** What to do when a background process died, by how it died (`details.reason` of a crashed error; process/exitReason.ts). */
const EXIT_HINTS: Record<string, string> = {
  'out-of-memory': 'Close other programs or pick a smaller model in Settings → Models; the process restarts on the next request.',
  killed: 'The system may have stopped it when memory ran low. It restarts on the next request: try again.',
  'launch-failed': 'It could not start. Reinstall SliME Studio if this repeats; it is tried again on the next request.',
};

/** The hint for `code`, made precise by the exit reason of a dead process. */
function hintFor(code: string | undefined, details: Record<string, unknown> | undefined): string | undefined {
  if (!code) return undefined;
  const reason = details?.['reason'];
  if (code.endsWith('/crashed') && typeof reason === 'string' && EXIT_HINTS[reason]) return EXIT_HINTS[reason];
  return HINTS[code];
}

/** The view of `thrown`; `context` (e.g. "Could not attach the image") prefixes the message. */
export function toErrorView(thrown: unknown, context?: string): ErrorView {
  const code = thrown instanceof ApiError ? thrown.code : undefined;
  const raw = thrown instanceof Error ? thrown.message : String(thrown);
  const details = thrown instanceof ApiError ? thrown.details : undefined;
  return { message: context ? `${context}: ${raw}` : raw, code, hint: hintFor(code, details) };
}

/** One readable sentence for anything a call threw (views that show a plain string): the message, then the ErrorCode in brackets. */
export function describeError(thrown: unknown): string {
  const { message, code } = toErrorView(thrown);
  return code ? `${message} (${code})` : message;
}
