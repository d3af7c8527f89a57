// Inference process: probabilities at the first generated step — the 5 best tokens and an optional probe token,
// softmax of the logits at temperature 1 in float64 (whatever the sampling settings).
import type { FirstStep } from '../shared/ipc/inference.ts';
import type { Tokenizer } from './tokenizer/tokenizer.ts';

/** How many tokens `top` lists. */
export const FIRST_STEP_TOP = 5;

/** top-5 (best first; ties: lower id first) and the probe's probability; ids outside the vocabulary get probability 0. */
export function firstStepOf(logits: Float32Array, tokenizer: Tokenizer, probeTokenId?: number): FirstStep {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const prob = (id: number): number => (id < logits.length ? Math.exp(logits[id]! - max) / sum : 0);
  const best: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    if (best.length === FIRST_STEP_TOP && logits[id]! <= logits[best[FIRST_STEP_TOP - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && logits[id]! > logits[best[at - 1]!]!) at--;
    best.splice(at, 0, id);
    if (best.length > FIRST_STEP_TOP) best.pop();
  }
  const top = best.map((id) => ({ id, text: tokenizer.decode([id]), prob: prob(id) }));
  return probeTokenId === undefined ? { top } : { top, probe: { id: probeTokenId, prob: prob(probeTokenId) } };
}

/** top[0].prob − top[1].prob (0 when fewer than two tokens are listed). */
export function marginOf(step: FirstStep): number {
  return step.top.length < 2 ? 0 : step.top[0]!.prob - step.top[1]!.prob;
}
