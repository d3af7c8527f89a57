// Integration: a dead child's exit reason reaches the caller — real forked children that run out of memory, are
// killed by a signal, or die before they are ready; and the inference service names it with an inference/* code.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../electron/shared/process/supervisor.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { ContractClient } from '../../electron/shared/process/client.ts';
import { inferenceProcessContract } from '../../electron/shared/ipc/inferenceProcess.ts';
import { INFERENCE_ENTRY } from '../../electron/node/paths.ts';
import { forwardLines } from '../../electron/node/stderrFilter.ts';
import { toAppError, unwrapInference } from '../../electron/shared/errors.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'exitingChild.ts');
let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

function child(mode: string, execArgv: string[] = []): Supervisor {
  return new Supervisor({ spawn: forkSpawner(CHILD, { args: [mode], execArgv, silent: true }), name: 'test', defaultTimeoutMs: 60_000 });
}

async function settled(s: Supervisor): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  const r = await s.request('anything');
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

describe('exit reasons of supervised processes', () => {
  it('says the process ran out of memory', async () => {
    sup = child('oom', ['--max-old-space-size=24']);
    const error = await settled(sup);
    expect(error).toMatchObject({ code: 'process/crashed', details: { reason: 'out-of-memory' } });
    expect(error.message).toContain('ran out of memory');
  });

  it('says the process was killed, with the signal', async () => {
    sup = child('wait');
    const pending = sup.request('anything');
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(sup.pid!, 'SIGKILL');
    const r = await pending;
    expect(r).toMatchObject({ ok: false, error: { code: 'process/crashed', details: { reason: 'killed', signal: 'SIGKILL' } } });
    expect(!r.ok && r.error.message).toContain('was killed (signal SIGKILL)');
  });

  it('says the process could not be started when it dies before it is ready', async () => {
    sup = child('early');
    const error = await settled(sup);
    expect(error).toMatchObject({ code: 'process/crashed', details: { reason: 'launch-failed', code: 3 } });
    expect(error.message).toContain('could not be started');
  });

  it('reaches the inference caller as inference/crashed with the reason and the details kept', async () => {
    sup = new Supervisor({ spawn: forkSpawner(INFERENCE_ENTRY, { env: { SLIME_TEST_HOOKS: '1' } }), name: 'inference' });
    const client = new ContractClient(inferenceProcessContract, sup);
    expect((await client.call('ping', 1)).ok).toBe(true);
    const pending = client.call('sleep', 10_000);
    process.kill(sup.pid!, 'SIGKILL');
    const result = await pending;
    let thrown: unknown;
    try {
      unwrapInference(result);
    } catch (e) {
      thrown = e;
    }
    expect(toAppError(thrown)).toMatchObject({ code: 'inference/crashed', details: { reason: 'killed', signal: 'SIGKILL' } });
  });

  it('keeps Vulkan/Dawn probe warnings of a child off the terminal and forwards its other stderr lines', async () => {
    const lines: string[] = [];
    sup = new Supervisor({
      spawn: forkSpawner(CHILD, { args: ['noisy'], onStderr: (stream) => forwardLines(stream, (l) => lines.push(l)) }),
      name: 'test',
    });
    sup.start();
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines).toEqual(['a real problem: the model folder is empty']);
  });
});
