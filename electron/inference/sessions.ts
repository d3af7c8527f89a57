// Inference process: creates one onnxruntime session per graph, trying execution providers in order (the
// platform ladder or a user override), recording which one runs each graph and why the others failed.
import { env, InferenceSession, listSupportedBackends } from 'onnxruntime-node';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { AppFailure } from '../shared/errors.ts';
import type { GraphName, Manifest, TensorSpec } from '../shared/manifest.ts';
import type { GraphProvider, ProviderName } from '../shared/ipc/inference.ts';

// Provider start-up failures are reported as data (GraphProvider.attempts), not as native log lines.
env.logLevel = 'fatal';

/** Providers whose runtime failed to start in this process (missing library, no adapter): not retried per graph. */
const unavailable = new Map<ProviderName, string>();
const STARTUP_FAILURE = /shared library|adapter|not supported|not available|unavailable|device/i;

/** Session settings chosen by the user. */
export interface SessionSettings {
  providers?: ProviderName[];
  intraOpThreads?: number;
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let idle onnxruntime threads spin (lower run latency, higher CPU use); off by default. */
  spinning?: boolean;
  /** onnxruntime's CPU memory arena (`enableCpuMemArena`); onnxruntime's default (on) when unset. */
  cpuMemArena?: boolean;
}

/** The platform's provider ladder: GPU providers first, CPU last. */
export function providerLadder(platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (platform === 'win32') return ['cuda', 'dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cuda', 'webgpu', 'cpu'];
}

/** Why WebGPU cannot start on Linux without a Vulkan loader (Dawn needs libvulkan.so.1), or null. */
function webgpuBlocker(): string | null {
  if (process.platform !== 'linux') return null;
  const dirs = [
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':'),
  ];
  return dirs.some((d) => d && existsSync(path.join(d, 'libvulkan.so.1')))
    ? null
    : 'libvulkan.so.1 not found: WebGPU needs a Vulkan driver on Linux';
}

function bundledProviders(): Map<string, boolean> {
  try {
    return new Map(listSupportedBackends().map((b) => [b.name, b.bundled]));
  } catch {
    return new Map([['cpu', true]]);
  }
}

/** Opens one graph with the first provider that initialises. Throws `inference/provider-failed` when none does. */
export async function openGraph(
  dir: string,
  graph: GraphName,
  spec: Manifest['graphs'][GraphName],
  settings: SessionSettings,
): Promise<{ session: InferenceSession; provider: GraphProvider }> {
  const ladder = settings.providers ?? providerLadder();
  const bundled = bundledProviders();
  const attempts: GraphProvider['attempts'] = [];
  for (const provider of ladder) {
    // A provider this platform's build does not know is skipped; one it knows but does not bundle (CUDA, an
    // opt-in download) is tried, since the user may have installed it: it fails fast when absent.
    if (provider !== 'cpu' && !bundled.has(provider)) {
      attempts.push({ provider, error: 'not available in onnxruntime-node on this platform' });
      continue;
    }
    if (provider === 'webgpu' && !unavailable.has('webgpu')) {
      const blocker = webgpuBlocker();
      if (blocker) unavailable.set('webgpu', blocker);
    }
    const known = unavailable.get(provider);
    if (known !== undefined) {
      attempts.push({ provider, error: known });
      continue;
    }
    try {
      const session = await InferenceSession.create(path.join(dir, spec.file), {
        executionProviders: [provider],
        graphOptimizationLevel: settings.graphOptimization ?? 'all',
        ...(settings.intraOpThreads ? { intraOpNumThreads: settings.intraOpThreads } : {}),
        ...(settings.cpuMemArena === undefined ? {} : { enableCpuMemArena: settings.cpuMemArena }),
        logSeverityLevel: 3,
        // Idle intra-op threads would spin and steal the host thread's core between runs (tokens, sampling).
        extra: { session: { intra_op: { allow_spinning: settings.spinning === true ? '1' : '0' } } },
      });
      checkIo(graph, session, spec);
      return { session, provider: { graph, provider, attempts } };
    } catch (thrown) {
      if (thrown instanceof AppFailure) throw thrown;
      const error = firstLine(thrown);
      if (provider !== 'cpu' && STARTUP_FAILURE.test(error)) unavailable.set(provider, error);
      attempts.push({ provider, error });
    }
  }
  const cpuError = attempts.find((a) => a.provider === 'cpu')?.error;
  if (cpuError !== undefined)
    throw new AppFailure('inference/model-invalid', `${spec.file} could not be loaded: ${cpuError}`, { graph, attempts });
  throw new AppFailure(
    'inference/provider-failed',
    `No execution provider could run ${spec.file}: ${attempts.map((a) => `${a.provider}: ${a.error}`).join('; ')}`,
    { graph, attempts },
  );
}

/** Refuses a graph whose input/output names differ from what the manifest declares, naming them. */
function checkIo(graph: GraphName, session: InferenceSession, spec: Manifest['graphs'][GraphName]): void {
  const diff = (declared: TensorSpec[], actual: readonly string[], kind: string): string[] => {
    const names = declared.map((d) => d.name);
    return [
      ...names.filter((n) => !actual.includes(n)).map((n) => `${kind} ${n} missing from the graph`),
      ...actual.filter((n) => !names.includes(n)).map((n) => `graph ${kind} ${n} not in the manifest`),
    ];
  };
  const problems = [...diff(spec.inputs, session.inputNames, 'input'), ...diff(spec.outputs, session.outputNames, 'output')];
  if (problems.length > 0) {
    void session.release();
    throw new AppFailure('inference/model-invalid', `${spec.file} (${graph}) does not match manifest.json: ${problems.join('; ')}`, {
      field: `graphs.${graph}`,
    });
  }
}

function firstLine(thrown: unknown): string {
  const msg = thrown instanceof Error ? thrown.message : String(thrown);
  return (msg.split('\n')[0] ?? msg).slice(0, 300);
}
