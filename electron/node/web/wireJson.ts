// Node-only (browser-mode server): JSON for the web transport. Byte arrays (dataset.addImage) do not survive
// JSON, so they cross as `{ "$bytes": "<base64>" }`; the page's web-api.js uses the same key.

/** The one key of an object that stands for a byte array on the wire. */
export const WIRE_BYTES_KEY = '$bytes';

function bytesOf(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return null;
}

/** JSON.stringify replacer: byte arrays become `{ $bytes: base64 }`. */
export function wireReplacer(_key: string, value: unknown): unknown {
  const bytes = bytesOf(value);
  if (!bytes) return value;
  return { [WIRE_BYTES_KEY]: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

/** JSON.parse reviver: `{ $bytes: base64 }` (and nothing else) becomes a Uint8Array. */
export function wireReviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const encoded = record[WIRE_BYTES_KEY];
  if (typeof encoded !== 'string' || Object.keys(record).length !== 1) return value;
  const buffer = Buffer.from(encoded, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Serializes a value for the page (a Result or an event). */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, wireReplacer);
}

/** Parses a request body; throws SyntaxError on malformed JSON. */
export function fromWireJson(text: string): unknown {
  return JSON.parse(text, wireReviver) as unknown;
}
