// Node-only: one run of the checkpoint converter (`python -m models.export --progress-json`) as a child process in its
// own process group — its JSON progress lines parsed (models/convert/progress.py), cancel = SIGTERM to the group (the
// converter removes its partial folder on the way out) then SIGKILL after a grace period, and a sweep of any
// `.<out>.partial-*` sibling a killed converter could not remove. The outcome names the failure as an AppError.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { AppError, ErrorCode } from '../shared/errors.ts';

/** A progress event of the converter. */
export interface ConverterProgress {
  event: 'progress';
  stage: 'load' | 'towers' | 'llm' | 'finish';
  fraction: number;
  elapsed_s: number;
  eta_s: number | null;
  layer: number | null;
  layers: number | null;
  message: string;
}

/** How a run ended. */
export type ConverterOutcome = { ok: true; out: string } | { ok: false; error: AppError };

/** What to run. */
export interface ConverterRun {
  python: string;
  /** Folder holding the `models` package (the repository, or the packaged app's converter resources). */
  cwd: string;
  checkpoint: string;
  clip: string;
  dtype: 'int4' | 'fp16';
  out: string;
  name?: string;
  onProgress(progress: ConverterProgress): void;
  /** Grace period between SIGTERM and SIGKILL on cancel (ms, default 10 s). */
  killGraceMs?: number;
}

/** Converter error kinds (models/convert/progress.py) → app error codes. */
const KIND_CODES: Record<string, ErrorCode> = {
  'not-a-checkpoint': 'convert/not-a-checkpoint',
  clip: 'convert/not-a-clip-folder',
  'out-exists': 'convert/out-exists',
  'disk-full': 'io/disk-full',
  'write-failed': 'io/permission',
  'not-found': 'io/not-found',
  'python-missing': 'convert/python-missing',
  cancelled: 'convert/cancelled',
  internal: 'convert/failed',
};

/** The AppError of a converter error event. */
export function errorOfKind(kind: string, message: string): AppError {
  const code = KIND_CODES[kind] ?? 'convert/checkpoint-invalid';
  return { code, message, details: { kind } };
}

/** A running converter. */
export class ConverterProcess {
  readonly done: Promise<ConverterOutcome>;
  private child: ChildProcess | null = null;
  private cancelled = false;
  private killTimer: NodeJS.Timeout | null = null;

  private readonly run: ConverterRun;

  constructor(run: ConverterRun) {
    this.run = run;
    this.done = this.start();
  }

  /** Stops the converter (SIGTERM to its process group, SIGKILL after the grace period). */
  cancel(): void {
    if (this.cancelled || !this.child || this.child.exitCode !== null) return;
    this.cancelled = true;
    this.signal('SIGTERM');
    this.killTimer = setTimeout(() => this.signal('SIGKILL'), this.run.killGraceMs ?? 10_000);
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null) return;
    try {
      if (process.platform === 'win32') spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { windowsHide: true });
      else process.kill(-pid, sig);
    } catch {
      // already gone
    }
  }

  private async start(): Promise<ConverterOutcome> {
    const r = this.run;
    const args = ['-m', 'models.export', '--checkpoint', r.checkpoint, '--clip', r.clip, '--dtype', r.dtype, '--out', r.out];
    if (r.name) args.push('--name', r.name);
    args.push('--progress-json');
    const child = spawn(r.python, args, {
      cwd: r.cwd,
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      windowsHide: true,
    });
    this.child = child;
    let lastError: AppError | null = null;
    let finished: string | null = null;
    const stderr: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = parseLine(line);
      if (!event) return;
      if (event.event === 'progress') r.onProgress(event as unknown as ConverterProgress);
      else if (event.event === 'error') lastError = errorOfKind(String(event.kind), String(event.message));
      else if (event.event === 'done') finished = String(event.out);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > 40) stderr.shift();
    });
    const exit = await new Promise<{ code: number | null; spawnError?: Error }>((resolve) => {
      child.once('error', (e) => resolve({ code: null, spawnError: e }));
      child.once('close', (code) => resolve({ code }));
    });
    if (this.killTimer) clearTimeout(this.killTimer);
    // A run that finished before a cancel reached it stands: its folder is complete.
    if (exit.code === 0 && finished !== null) return { ok: true, out: finished };
    await sweepPartial(r.out);
    if (this.cancelled)
      return { ok: false, error: { code: 'convert/cancelled', message: 'The conversion was cancelled; its partial output was removed.' } };
    if (exit.spawnError)
      return { ok: false, error: { code: 'convert/python-missing', message: `Cannot run ${r.python}: ${exit.spawnError.message}` } };
    return { ok: false, error: lastError ?? unexpected(exit.code, stderr) };
  }
}

function parseLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A failure without an error event: a missing module at import time, a crash, a kill from outside. */
function unexpected(code: number | null, stderr: string[]): AppError {
  const text = stderr.join('\n');
  const module = /ModuleNotFoundError: No module named '([^']+)'/.exec(text);
  if (module) {
    return {
      code: 'convert/python-missing',
      message: `The converter's Python lacks the module ${module[1]} (install models/requirements.txt).`,
    };
  }
  const tail = stderr.slice(-6).join('\n').trim();
  const how = code === null ? 'was killed' : `exited with code ${code}`;
  return { code: 'convert/failed', message: `The converter ${how}${tail ? `: ${tail}` : ''}`, details: { stderr: stderr.slice(-20) } };
}

/** Removes `.<name>.partial-*` siblings of `out` (what a killed converter leaves behind). */
export async function sweepPartial(out: string): Promise<string[]> {
  const parent = path.dirname(out);
  const prefix = `.${path.basename(out)}.partial-`;
  const names = await readdir(parent).catch(() => [] as string[]);
  const removed = names.filter((n) => n.startsWith(prefix)).map((n) => path.join(parent, n));
  await Promise.all(removed.map((p) => rm(p, { recursive: true, force: true })));
  return removed;
}
