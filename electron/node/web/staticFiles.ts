// Node-only (browser-mode server): the renderer's index.html with the web-api.js tag injected and its CSP
// read once (file paths and MIME types come from ../staticPaths.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Where the page gets `window.api` in browser mode (served by the server, same origin). */
export const WEB_API_PATH = '/web-api.js';

/** The built page as served in browser mode. */
export interface IndexPage {
  /** index.html with `<script src="/web-api.js">` before its first script. */
  html: string;
  /** The Content-Security-Policy of the page's meta tag (the same one Electron's page enforces). */
  csp: string;
}

/** Reads the CSP from the page's `<meta http-equiv="Content-Security-Policy" content="…">`. */
export function cspOf(html: string): string | null {
  const meta = /<meta\s[^>]*http-equiv=["']Content-Security-Policy["'][^>]*>/i.exec(html)?.[0];
  const match = meta ? /\scontent=(?:"([^"]*)"|'([^']*)')/i.exec(meta) : null;
  const content = match ? (match[1] ?? match[2]) : undefined;
  return content ? content.replace(/\s+/g, ' ').trim() : null;
}

/** Adds the web-api.js tag; it is a classic script, so it runs before the page's (deferred) module scripts. */
export function injectWebApi(html: string): string {
  const tag = `<script src="${WEB_API_PATH}"></script>`;
  const at = html.search(/<script\b/i);
  if (at >= 0) return `${html.slice(0, at)}${tag}\n    ${html.slice(at)}`;
  const head = html.search(/<\/head>/i);
  if (head < 0) throw new Error('index.html has neither a <script> nor a </head> to put web-api.js before');
  return `${html.slice(0, head)}${tag}\n${html.slice(head)}`;
}

/** Loads `<rendererDir>/index.html` for browser mode; refuses a page without a CSP. */
export function loadIndexPage(rendererDir: string): IndexPage {
  const file = path.join(rendererDir, 'index.html');
  let html: string;
  try {
    html = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`The renderer is not built (${file} is missing): run \`npm run web\`, which builds it.`);
  }
  const csp = cspOf(html);
  if (!csp) throw new Error(`${file} has no Content-Security-Policy meta tag; refusing to serve it.`);
  return { html: injectWebApi(html), csp };
}
