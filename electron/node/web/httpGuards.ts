// Node-only (browser-mode server): the request checks as pure functions — Host allow-list (DNS-rebinding
// defence), same-origin check on Origin / Sec-Fetch-Site, and the per-launch session token (cookie or Bearer).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A fresh random session token (256 bits, URL-safe). */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The session cookie's name; the port is part of it because cookies are not isolated by port. */
export function sessionCookieName(port: number): string {
  return `slime_session_${port}`;
}

/** The Host header values the server answers: 127.0.0.1:PORT and localhost:PORT, nothing else. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** True when the Host header names this server (a rebinding attacker's page sends its own host name). */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  return host !== undefined && allowedHosts(port).includes(host.toLowerCase());
}

/**
 * True unless the browser says the request comes from another site or origin: a present `Origin` must be
 * our own, a present `Sec-Fetch-Site` must be `same-origin` or `none` (typed URL / bookmark). Non-browser
 * clients send neither and are judged by the token alone.
 */
export function isSameOriginRequest(headers: IncomingHttpHeaders, port: number): boolean {
  const origin = headers.origin;
  if (origin !== undefined && !allowedHosts(port).some((h) => origin.toLowerCase() === `http://${h}`)) return false;
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/** Parses a Cookie header into name → value (first occurrence wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** True when the request carries the session token, as `Authorization: Bearer <token>` or the session cookie. */
export function hasSessionToken(headers: IncomingHttpHeaders, token: string, port: number): boolean {
  const auth = headers.authorization;
  if (auth !== undefined && auth.startsWith('Bearer ') && tokensEqual(auth.slice(7).trim(), token)) return true;
  const cookie = parseCookies(headers.cookie).get(sessionCookieName(port));
  return cookie !== undefined && tokensEqual(cookie, token);
}

/** The Set-Cookie value that hands the page its session: HttpOnly, SameSite=Strict, whole site, session-only. */
export function sessionCookie(token: string, port: number): string {
  return `${sessionCookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}
