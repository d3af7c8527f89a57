// Node: keeps the GPU probe's noise off the user's terminal. Probing WebGPU loads Dawn and Vulkan, which print
// warnings on machines with Vulkan but no usable adapter (`XDG_RUNTIME_DIR is invalid`, adapter messages) although
// nothing failed; the CLI passes the inference child's stderr through this filter unless WebGPU output was asked for.
import readline from 'node:readline';
import type { Readable } from 'node:stream';

const GPU_PROBE_NOISE = /XDG_RUNTIME_DIR|vulkan|\bdawn\b|\bMESA\b|libEGL|\bwgpu\b|adapter/i;

/** True for a stderr line that only reports the WebGPU/Vulkan probe. */
export function isGpuProbeNoise(line: string): boolean {
  return GPU_PROBE_NOISE.test(line);
}

/** Forwards each line of `stream` to `write` unless `drop` says it is noise. */
export function forwardLines(stream: Readable, write: (line: string) => void, drop: (line: string) => boolean = isGpuProbeNoise): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    if (!drop(line)) write(line);
  });
}
