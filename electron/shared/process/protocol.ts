// Wire protocol between a supervisor and a child process (inference process): requests with ids,
// responses as Results, cancel messages, and per-request progress events. Pure TypeScript.
import type { AppError, Result } from '../errors.ts';

/** Parent → child: run `method` with `args`. */
export interface RequestMessage {
  type: 'request';
  id: number;
  method: string;
  args: unknown;
}

/** Parent → child: stop request `id` as soon as possible. */
export interface CancelMessage {
  type: 'cancel';
  id: number;
}

/** Child → parent: the final outcome of request `id`. */
export interface ResponseMessage {
  type: 'response';
  id: number;
  result: Result<unknown>;
}

/** Child → parent: a progress or stream event belonging to request `id`. */
export interface EventMessage {
  type: 'event';
  id: number;
  payload: unknown;
}

/** Child → parent: the child is ready to take requests. */
export interface ReadyMessage {
  type: 'ready';
  pid: number;
}

/** Child → parent: a log line from the child (its own stacks stay on its side). */
export interface LogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type ParentMessage = RequestMessage | CancelMessage;
export type ChildMessage = ResponseMessage | EventMessage | ReadyMessage | LogMessage;

/** How a child process exited. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (e.g. the executable is missing). */
  error?: string;
}

/**
 * The parent's handle on one spawned child, whatever spawned it (Electron utilityProcess, Node fork).
 * The supervisor is written only against this interface.
 */
export interface ChildEndpoint {
  readonly pid: number | undefined;
  send(message: ParentMessage): void;
  onMessage(listener: (message: ChildMessage) => void): void;
  onExit(listener: (info: ExitInfo) => void): void;
  kill(): void;
}

/** Starts a new child. */
export type Spawn = () => ChildEndpoint;

/** Narrowing guard for messages received from a child. */
export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { type?: unknown }).type;
  return t === 'response' || t === 'event' || t === 'ready' || t === 'log';
}

/** Narrowing guard for messages received from a parent. */
export function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; id?: unknown };
  return (m.type === 'request' || m.type === 'cancel') && typeof m.id === 'number';
}

/** A failure shaped for the wire. */
export function failure(error: AppError): Result<never> {
  return { ok: false, error };
}
