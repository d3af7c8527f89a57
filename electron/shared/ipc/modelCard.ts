// Contract of the `modelCard` service: a model folder's card (`card.json` beside manifest.json, format in
// models/MANIFEST.md "card.json") — what the model is, what it was trained on, its question families and accuracy —
// and its sample gallery with displayable images. Main reads the folder; the page shows it on first run.
import { z } from 'zod';
import { defineContract, method } from './contract.ts';

const text = z.string().max(20_000);
/** A path inside the model folder: relative, no `..`, no drive or leading slash. */
const insidePath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !/^([/\\]|[A-Za-z]:)/.test(p) && !p.split(/[/\\]/).includes('..'), 'must be a path inside the model folder');

/** card.json, format version 1 (unknown keys are ignored). */
export const modelCardSchema = z.object({
  version: z.literal(1),
  name: z.string().min(1).max(200),
  summary: text.optional(),
  trained_on: text.optional(),
  families: z
    .array(
      z.object({
        id: z.string().max(100),
        title: z.string().max(200),
        description: text.optional(),
        accuracy: z.number().nullable().optional(),
        examples: z
          .array(z.object({ question: text, answer: text.optional() }))
          .max(50)
          .optional(),
      }),
    )
    .max(100)
    .default([]),
  accuracy: z
    .array(
      z.object({
        id: z.string().max(100),
        label: z.string().max(500),
        value: z.number(),
        unit: z.string().max(20).optional(),
        questions: z.number().int().nonnegative().optional(),
      }),
    )
    .max(50)
    .nullable()
    .default(null),
  out_of_scope_sentence: text.nullable().optional(),
  samples: z
    .array(z.object({ image: insidePath, question: text, answer: text.optional(), family: z.string().max(100).optional() }))
    .max(200)
    .default([]),
  source: text.optional(),
});
/** A parsed card.json. */
export type ModelCard = z.output<typeof modelCardSchema>;

/** A gallery sample, ready to show and ask. */
export interface CardSample {
  /** Absolute path of the image (inside the model folder), for `dataset.addImageFile`. */
  path: string;
  /** URL that displays it (`/image/<token>`). */
  url: string;
  question: string;
  answer: string | null;
  family: string | null;
}

/** A model folder's card, or why there is none. */
export interface ModelCardView {
  /** The model folder (absolute). */
  dir: string;
  card: ModelCard | null;
  /** Why no card is shown (no card.json, it does not match the manifest's entry, it is malformed), or null. */
  problem: string | null;
  /** The samples whose images exist (the others are left out and counted in `missingSamples`). */
  samples: CardSample[];
  missingSamples: number;
}

const cardRequest = z.object({ modelDir: z.string().min(1).max(4096).optional() });

/** The `modelCard` service. */
export const modelCardContract = defineContract('modelCard', {
  /** The card of `modelDir` (default: the shipped model). Never fails for a missing or bad card: `problem` says why. */
  get: method<ModelCardView, z.ZodTuple<[typeof cardRequest], null>>(z.tuple([cardRequest])),
});

/** The `modelCard` contract's type. */
export type ModelCardContract = typeof modelCardContract;
