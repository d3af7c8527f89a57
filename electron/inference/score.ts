// Inference process: teacher-forced answer likelihood — the detail score (full visual block vs the global view only)
// and the log-probability helpers the occlusion job shares.
import { AppFailure } from '../shared/errors.ts';
import type { scoreRequestSchema } from '../shared/ipc/inference.ts';
import type { z } from 'zod';
import type { LoadedModel } from './model.ts';
import { runEmbed } from './model.ts';
import type { FeatureCache } from './encode.ts';
import { encodeImage } from './encode.ts';
import { checkQuestion, conversation, imagePath, promptEmbeds, selectorSettings } from './answer.ts';
import { selectLocal, type Selection } from './select.ts';
import { assemble } from './assemble.ts';
import { checkAbort, decoderStep, emptyKv } from './generate.ts';

type ScoreArgs = z.output<typeof scoreRequestSchema>;

/**
 * Mean log-probability of `answerIds` after the assembled prompt (teacher forcing, one decoder step per token), on a
 * cache of its own so the conversation's rows are never touched. `answerEmbeds` [A,H] are the answer's token rows,
 * embedded once by the caller for both scored variants.
 */
export async function meanLogLikelihood(
  model: LoadedModel,
  embeds: Float32Array,
  rows: string[],
  answerIds: number[],
  answerEmbeds: Float32Array,
  signal: AbortSignal,
): Promise<number> {
  const H = model.manifest.llm.hidden;
  const kv = emptyKv(model);
  return kv.lease('score', async () => {
    let logits = await decoderStep(model, kv, embeds, rows);
    let sum = 0;
    for (let k = 0; k < answerIds.length; k++) {
      checkAbort(signal);
      sum += logSoftmaxAt(logits, answerIds[k]!);
      if (k + 1 < answerIds.length) logits = await decoderStep(model, kv, answerEmbeds.subarray(k * H, (k + 1) * H), [`t${answerIds[k]}`]);
    }
    return sum / answerIds.length;
  });
}

/** log softmax(logits)[id], in float64. */
export function logSoftmaxAt(logits: Float32Array, id: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return logits[id]! - max - Math.log(sum);
}

/**
 * Detail score. Global-only drops the local tokens *and* the separator, as SliME's own global-only path
 * (`use_global_only`, stage I) and VLMEvalKit's 576-token path do. Selection uses the prompt without the answer.
 */
export async function scoreAnswer(
  model: LoadedModel,
  features: FeatureCache,
  req: ScoreArgs,
  signal: AbortSignal,
): Promise<{ full: number; globalOnly: number; answerTokens: number; keptLocal: number }> {
  checkQuestion(req.question, model);
  const enc = await encodeImage(model, features, imagePath(req.image), signal, () => undefined);
  const H = model.manifest.llm.hidden;
  const prompt = await promptEmbeds(model, conversation([], req.question), undefined, enc.features);
  const sel: Selection = selectLocal(enc.features.localRaster, prompt.selectorText, H, selectorSettings(model, {}));
  const answerIds = model.tokenizer.encode(req.answer, false);
  if (answerIds.length === 0) throw new AppFailure('prompt/empty', 'The answer has no tokens');
  const full = assemble(prompt.ids, prompt.text, H, enc.features, sel.kept, false, model.manifest.separator_id);
  const globalOnly = assemble(prompt.ids, prompt.text, H, enc.features, sel.kept, true, model.manifest.separator_id);
  const answerEmbeds = await runEmbed(model, answerIds);
  return {
    full: await meanLogLikelihood(model, full.embeds, full.rows, answerIds, answerEmbeds, signal),
    globalOnly: await meanLogLikelihood(model, globalOnly.embeds, globalOnly.rows, answerIds, answerEmbeds, signal),
    answerTokens: answerIds.length,
    keptLocal: sel.kept.length,
  };
}
