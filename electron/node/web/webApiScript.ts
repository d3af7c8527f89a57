// Node-only (browser-mode server): the text of /web-api.js. The page-side code below is serialized with
// toString (like the e2e bridge does with buildApi), so it must stay self-contained: browser globals only.
import { buildApi, type ApiTransport, type ServiceDescriptor } from '../../shared/ipc/buildApi.ts';
import type { Result } from '../../shared/errors.ts';
import { WIRE_BYTES_KEY } from './wireJson.ts';

/** Where the page calls methods (`POST /api/<channel>`) and listens to events (`GET /api/events`). */
export const API_PREFIX = '/api/';
export const EVENTS_PATH = '/api/events';

/**
 * Runs in the page: builds the transport over fetch (calls) and one EventSource (every event), then
 * `window.api` with the shared buildApi. Byte arrays cross as `{ [bytesKey]: base64 }` both ways.
 */
export function installWebApi(descriptors: ServiceDescriptor[], build: typeof buildApi, bytesKey: string): void {
  const toBase64 = (bytes: Uint8Array): string => {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  };
  const replacer = (_key: string, value: unknown): unknown => {
    if (value instanceof Uint8Array) return { [bytesKey]: toBase64(value) };
    if (value instanceof ArrayBuffer) return { [bytesKey]: toBase64(new Uint8Array(value)) };
    return value;
  };
  const reviver = (_key: string, value: unknown): unknown => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const encoded = (value as Record<string, unknown>)[bytesKey];
    if (typeof encoded !== 'string' || Object.keys(value).length !== 1) return value;
    return Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  };
  const failure = (message: string): Result<unknown> => ({ ok: false, error: { code: 'internal', message } });
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const events = new EventSource('/api/events');
  events.onmessage = (message: MessageEvent<string>): void => {
    const { channel, payload } = JSON.parse(message.data, reviver) as { channel: string; payload: unknown };
    for (const listener of listeners.get(channel) ?? []) {
      try {
        listener(payload);
      } catch (thrown) {
        console.error(thrown);
      }
    }
  };
  const transport: ApiTransport = {
    async invoke(channel, args) {
      let response: Response;
      try {
        const body = JSON.stringify(args, replacer);
        const headers = { 'content-type': 'application/json' };
        response = await fetch(`/api/${encodeURIComponent(channel)}`, { method: 'POST', headers, body, credentials: 'same-origin' });
      } catch (thrown) {
        return failure(`The SliME Studio server cannot be reached (${String(thrown)}). Is \`npm run web\` still running?`);
      }
      const text = await response.text();
      try {
        return JSON.parse(text, reviver) as Result<unknown>;
      } catch {
        return failure(`The server answered ${response.status}: ${text.slice(0, 200)}`);
      }
    },
    on(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return () => void listeners.get(channel)?.delete(listener);
    },
  };
  Object.defineProperty(window, 'api', { value: build(descriptors, transport), enumerable: true });
}

/** The whole /web-api.js: the descriptors and buildApi inlined, then installWebApi called on them. */
export function webApiScript(descriptors: ServiceDescriptor[]): string {
  const args = [JSON.stringify(descriptors), buildApi.toString(), JSON.stringify(WIRE_BYTES_KEY)].join(',\n');
  return `// SliME Studio browser mode: window.api over fetch + EventSource.\n(${installWebApi.toString()})(\n${args});\n`;
}
