// Supervises one child process over the protocol: request ids, per-request timeouts, cancel, crash
// detection and restart. Pure TypeScript: the spawn function (utilityProcess or fork) is injected.
import { err, type ErrorCode, type Result } from '../errors.ts';
import type { ChildEndpoint, ChildMessage, ExitInfo, Spawn } from './protocol.ts';
import { describeExit, exitReason } from './exitReason.ts';

/** Options of one request. */
export interface RequestOptions {
  /** Milliseconds before the request fails with `process/timeout` (and is cancelled in the child). */
  timeoutMs?: number;
  /** Aborting sends a cancel to the child and resolves the request with `process/cancelled` at once. */
  signal?: AbortSignal;
  /** Stream/progress events the child emits for this request. */
  onEvent?: (payload: unknown) => void;
  /** Progress-based timeout: every event of this request restarts the `timeoutMs` clock (fails after that much silence). */
  idleTimeout?: boolean;
}

/** Supervisor settings. */
export interface SupervisorOptions {
  spawn: Spawn;
  /** Name used in error messages and logs, e.g. "inference". */
  name: string;
  defaultTimeoutMs?: number;
  /** Error code given to pending callers when the child dies (default `process/crashed`). */
  crashCode?: ErrorCode;
  /** Restart automatically after a crash (default true). A restart is lazy: it happens on the next request. */
  restart?: boolean;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface Pending {
  resolve: (r: Result<unknown>) => void;
  onEvent: ((payload: unknown) => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Restarts the timeout (idle-timeout requests); undefined otherwise. */
  rearm: (() => void) | undefined;
  cleanup: () => void;
}

/** Lifecycle events a supervisor reports. */
export interface SupervisorEvents {
  onCrash?: (info: ExitInfo) => void;
  onSpawn?: (pid: number | undefined) => void;
}

/** A supervised child process. */
export class Supervisor {
  private child: ChildEndpoint | undefined;
  private ready = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stopping = false;
  private crashes = 0;
  private readonly opts: Required<Omit<SupervisorOptions, 'log'>> & Pick<SupervisorOptions, 'log'>;
  private readonly listeners: SupervisorEvents;

  constructor(options: SupervisorOptions, listeners: SupervisorEvents = {}) {
    this.opts = { defaultTimeoutMs: 120_000, crashCode: 'process/crashed', restart: true, ...options };
    this.listeners = listeners;
  }

  /** The child's pid, when one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many times the child has died unexpectedly. */
  get crashCount(): number {
    return this.crashes;
  }

  /** Number of requests waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Starts the child if it is not running. */
  start(): void {
    if (this.child || this.stopping) return;
    const child = this.opts.spawn();
    this.child = child;
    this.ready = false;
    child.onMessage((m) => this.receive(m));
    child.onExit((info) => this.exited(child, info));
    this.listeners.onSpawn?.(child.pid);
  }

  /** Sends a request and resolves with the child's Result; never rejects. */
  request<T = unknown>(method: string, args: unknown = [], options: RequestOptions = {}): Promise<Result<T>> {
    if (this.stopping) return Promise.resolve(err(this.opts.crashCode, `${this.opts.name} process is shutting down`));
    if (!this.child) {
      if (this.crashes > 0 && !this.opts.restart) {
        return Promise.resolve(err(this.opts.crashCode, `${this.opts.name} process is not running`));
      }
      this.start();
    }
    const child = this.child!;
    const id = this.nextId++;
    return new Promise<Result<T>>((resolve) => {
      const timeoutMs = options.timeoutMs ?? this.opts.defaultTimeoutMs;
      const onAbort = (): void => {
        this.sendCancel(id);
        this.settle(id, err('process/cancelled', `${method} was cancelled`));
      };
      const what = options.idleTimeout ? `sent nothing for ${timeoutMs} ms` : `did not answer within ${timeoutMs} ms`;
      const arm = (): ReturnType<typeof setTimeout> =>
        setTimeout(() => {
          this.sendCancel(id);
          this.settle(id, err('process/timeout', `${method} ${what}`));
        }, timeoutMs);
      const entry: Pending = {
        resolve: resolve as (r: Result<unknown>) => void,
        onEvent: options.onEvent,
        timer: timeoutMs > 0 ? arm() : undefined,
        rearm:
          timeoutMs > 0 && options.idleTimeout
            ? () => {
                clearTimeout(entry.timer);
                entry.timer = arm();
              }
            : undefined,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      };
      this.pending.set(id, entry);
      if (options.signal?.aborted) {
        onAbort();
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        child.send({ type: 'request', id, method, args });
      } catch (thrown) {
        this.settle(id, err(this.opts.crashCode, `${this.opts.name} process could not take the request: ${String(thrown)}`));
      }
    });
  }

  /** Cancels nothing in flight; stops the child and fails every pending request. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    this.child = undefined;
    this.failAll(err(this.opts.crashCode, `${this.opts.name} process stopped`));
    child?.kill();
  }

  /** Kills the child (tests and "restart model" use this); pending callers get the crash code. */
  kill(): void {
    this.child?.kill();
  }

  private sendCancel(id: number): void {
    try {
      this.child?.send({ type: 'cancel', id });
    } catch {
      // The child is gone; its exit handler fails the request.
    }
  }

  private receive(message: ChildMessage): void {
    switch (message.type) {
      case 'response':
        this.settle(message.id, message.result);
        break;
      case 'event': {
        const entry = this.pending.get(message.id);
        entry?.rearm?.();
        entry?.onEvent?.(message.payload);
        break;
      }
      case 'log':
        this.opts.log?.(message.level, `[${this.opts.name}] ${message.message}`);
        break;
      case 'ready':
        this.ready = true;
        break;
    }
  }

  private settle(id: number, result: Result<unknown>): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    entry.cleanup();
    entry.resolve(result);
  }

  private failAll(result: Result<unknown>): void {
    for (const id of [...this.pending.keys()]) this.settle(id, result);
  }

  private exited(child: ChildEndpoint, info: ExitInfo): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.stopping) return;
    this.crashes += 1;
    const reason = exitReason(info, this.ready);
    const message = describeExit(this.opts.name, reason, info);
    this.opts.log?.('error', message);
    this.failAll(err(this.opts.crashCode, message, { ...info, reason }));
    this.listeners.onCrash?.(info);
  }
}
