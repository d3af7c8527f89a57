// Inference process: the ask flow — question checks, prompt, selection (or the request's kept-set override), assembly,
// generation with streamed text, first-step probabilities, timings and the inspection record.
import { AppFailure } from '../shared/errors.ts';
import type { AskResult, FirstStep, InspectionRecord, SelectorOverrideRecord, StageEvent, StageTimings } from '../shared/ipc/inference.ts';
import type { askRequestSchema, scoreRequestSchema } from '../shared/ipc/inference.ts';
import type { z } from 'zod';
import type { LoadedModel } from './model.ts';
import { runEmbed } from './model.ts';
import { encodeImage, type EncodeTimings, type FeatureCache, type ImageFeatures } from './encode.ts';
import { buildPrompt, IMAGE_TOKEN, IMAGE_TOKEN_INDEX, tokenizeWithImage, userMessageWithImage, type ChatTurn } from './prompt.ts';
import { keptFromOverride, selectLocal, type Selection, type SelectorSettings } from './select.ts';
import { assemble, type Assembled } from './assemble.ts';
import { checkAbort, generateLoop, type LoopResult } from './generate.ts';
import type { KvCache } from './kvCache.ts';
import { Sampler } from './sample.ts';
import { StreamDecoder } from './detokenize.ts';
import { buildInspection } from './inspection.ts';
import { firstStepOf } from './firstStep.ts';

/** Parsed `ask` arguments. */
export type AskArgs = z.output<typeof askRequestSchema>;
type ScoreArgs = z.output<typeof scoreRequestSchema>;

/** Questions longer than this many characters per context token are refused before tokenizing. */
const MAX_CHARS_PER_CONTEXT_TOKEN = 8;

export function checkQuestion(question: string, model: LoadedModel): void {
  if (question.trim().length === 0) throw new AppFailure('prompt/empty', 'The question is empty');
  const limit = model.manifest.llm.max_length * MAX_CHARS_PER_CONTEXT_TOKEN;
  if (question.length > limit)
    throw new AppFailure(
      'prompt/too-long',
      `The question is ${question.length} characters; this model's context holds at most about ${limit}`,
    );
}

/** The request's image path; a dataset hash must have been resolved by the service before it gets here. */
export function imagePath(image: AskArgs['image'] | ScoreArgs['image']): string {
  if (!('path' in image))
    throw new AppFailure('image/not-found', 'The image must be resolved to a path before it reaches the inference process');
  return image.path;
}

/** Turns with the image placeholder on the first user turn. */
export function conversation(history: ChatTurn[], question: string): ChatTurn[] {
  // The one image placeholder is ours; a literal "<image>" typed by the user (or kept in a stored turn) is dropped.
  const clean = (t: ChatTurn): ChatTurn => ({ role: t.role, content: t.content.split(IMAGE_TOKEN).join('') });
  const turns = [...history, { role: 'user' as const, content: question }].map(clean);
  const first = turns.findIndex((t) => t.role === 'user');
  turns[first] = { role: 'user', content: userMessageWithImage(turns[first]!.content) };
  return turns;
}

/** Prompt ids, their text embeddings (plus one separator row) and the selector's text rows. */
export async function promptEmbeds(
  model: LoadedModel,
  turns: ChatTurn[],
  systemPrompt: string | undefined,
  features: ImageFeatures,
): Promise<{ ids: number[]; text: Float32Array; selectorText: Float32Array }> {
  const m = model.manifest;
  const ids = tokenizeWithImage(buildPrompt(m.template, turns, systemPrompt), model.tokenizer, model.bosId);
  const textIds = ids.filter((i) => i !== IMAGE_TOKEN_INDEX);
  const visual = features.globalTokens.length / m.llm.hidden + 1 + features.localRaster.length / m.llm.hidden;
  if (textIds.length + visual >= m.llm.max_length) {
    throw new AppFailure(
      'prompt/too-long',
      `The prompt needs ${textIds.length} text + up to ${visual} image tokens; the model's context is ${m.llm.max_length}`,
    );
  }
  const text = await runEmbed(model, [...textIds, m.separator_id]);
  return { ids, text, selectorText: text.subarray(0, textIds.length * m.llm.hidden) };
}

export function selectorSettings(model: LoadedModel, o: AskArgs['selector']): SelectorSettings {
  const s = model.manifest.selector;
  return {
    mode: o.mode ?? s.mode,
    topP: o.topP ?? s.top_p,
    temperature: o.temperature ?? s.temperature,
    legacyFirstTemperature: s.legacy_first_temperature,
  };
}

/** Everything before the decoder. */
export interface Prepared {
  enc: Awaited<ReturnType<typeof encodeImage>>;
  prompt: Awaited<ReturnType<typeof promptEmbeds>>;
  settings: SelectorSettings;
  /** The selector's scores and probabilities; `kept` is the override's set when the request has one. */
  selection: Selection;
  seq: Assembled;
  times: { embed: number; select: number; assemble: number };
  override: SelectorOverrideRecord | null;
}

/** Everything before the decoder: encoded image, prompt, selection, assembled rows, and their stage times. */
export async function prepare(
  model: LoadedModel,
  features: FeatureCache,
  req: AskArgs,
  signal: AbortSignal,
  stage: (s: StageEvent['stage']) => void,
): Promise<Prepared> {
  checkQuestion(req.question, model);
  const enc = await encodeImage(model, features, imagePath(req.image), signal, stage);
  checkAbort(signal);
  stage('select');
  const H = model.manifest.llm.hidden;
  let t = performance.now();
  const prompt = await promptEmbeds(model, conversation(req.history, req.question), req.systemPrompt, enc.features);
  const embed = performance.now() - t;
  t = performance.now();
  const settings = selectorSettings(model, req.selector);
  const chosen = selectLocal(enc.features.localRaster, prompt.selectorText, H, settings);
  const keep = req.selector.keep;
  const selection = keep ? { ...chosen, kept: keptFromOverride(keep, chosen.scores.length) } : chosen;
  const select = performance.now() - t;
  t = performance.now();
  const globalOnly = keep !== undefined && keep.length === 0;
  const seq = assemble(prompt.ids, prompt.text, H, enc.features, selection.kept, globalOnly, model.manifest.separator_id);
  const times = { embed, select, assemble: performance.now() - t };
  checkAbort(signal);
  const override = keep ? { kind: 'keep' as const, count: keep.length } : null;
  return { enc, prompt, settings, selection, seq, times, override };
}

/** Sampling settings after defaults: greedy unless a temperature is given; the manifest's token limit. */
function samplingSettings(model: LoadedModel, sp: AskArgs['sampling']): InspectionRecord['sampling'] {
  return {
    temperature: sp.temperature ?? 0,
    topK: sp.topK ?? 0,
    topP: sp.topP ?? 1,
    repetitionPenalty: sp.repetitionPenalty ?? 1,
    maxNewTokens: sp.maxNewTokens ?? model.manifest.generation.max_new_tokens,
    seed: sp.seed ?? 0,
  };
}

/** Collects the stage times of one answer. */
function stageTimings(
  enc: EncodeTimings,
  times: { embed: number; select: number; assemble: number },
  loop: LoopResult,
  detokenize: number,
  ttft: number,
  started: number,
): StageTimings {
  const { cacheHit, ...encode } = enc;
  const total = performance.now() - started;
  const decode = { prefill: loop.prefillMs, generate: loop.decodeMs, sample: loop.sampleMs, detokenize };
  return { ...encode, ...times, ...decode, ttft: ttft || total, total, featureCacheHit: cacheHit, kvReusedTokens: loop.reused };
}

/** Runs one ask; returns the result and the grown KV cache. */
export async function answer(
  model: LoadedModel,
  caches: { features: FeatureCache; kv: KvCache },
  req: AskArgs,
  signal: AbortSignal,
  emit: (p: unknown) => void,
  stage: (s: StageEvent['stage']) => void,
): Promise<{ result: AskResult; kv: KvCache }> {
  const started = performance.now();
  const { enc, prompt, settings, selection, seq, times, override } = await prepare(model, caches.features, req, signal, stage);
  stage('prefill');
  const sampling = samplingSettings(model, req.sampling);
  const pad = model.manifest.special_tokens.pad;
  const sampler = new Sampler(sampling, sampling.temperature > 0 && pad !== null && pad !== undefined ? [pad] : []);
  const decoder = new StreamDecoder(model.tokenizer);
  let ttft = 0;
  let detokenize = 0;
  let firstStep: FirstStep = { top: [] };
  const loop = await generateLoop(model, caches.kv, seq.embeds, seq.rows, {
    maxNewTokens: sampling.maxNewTokens,
    stopIds: new Set(model.manifest.special_tokens.eos),
    signal,
    pick: (logits, prev) => sampler.next(logits, prev),
    onFirstLogits: (logits) => (firstStep = firstStepOf(logits, model.tokenizer, req.probeTokenId)),
    onToken: (id, generated) => {
      if (generated === 1) {
        ttft = performance.now() - started;
        stage('generate');
      }
      const td = performance.now();
      const text = decoder.push(id);
      detokenize += performance.now() - td;
      if (text) emit({ kind: 'token', requestId: req.requestId, text, generated });
    },
  });
  const tail = decoder.finish();
  if (tail) emit({ kind: 'token', requestId: req.requestId, text: tail, generated: loop.tokens.length });
  const timings = stageTimings(enc.timings, times, loop, detokenize, ttft, started);
  const counts = { promptTokens: prompt.ids.length - 1, prefill: seq.rows.length, generated: loop.tokens.length, kvReused: loop.reused };
  const inspection = buildInspection({
    model,
    features: enc.features,
    selection,
    settings,
    ...counts,
    timings,
    sampling,
    stopReason: loop.stopReason,
    override,
    firstStep,
  });
  const result = {
    requestId: req.requestId,
    answer: decoder.all,
    tokenIds: loop.tokens,
    model: { dir: model.dir, name: model.manifest.name },
    inspection,
  };
  return { result, kv: loop.kv };
}
