// Implements the `modelCard` contract in Node: reads the card of a model folder (electron/node/modelCard.ts) and
// registers its sample images so the page can show them (and ask about one with `dataset.addImageFile`).
import path from 'node:path';
import type { ServiceImpl } from '../../shared/ipc/contract.ts';
import type { CardSample, ModelCardContract } from '../../shared/ipc/modelCard.ts';
import type { ImageRegistry } from '../imageRegistry.ts';
import { readModelCard, sampleImagePath } from '../modelCard.ts';

/** What the model-card service needs from its host. */
export interface ModelCardServiceDeps {
  defaultModelDir: string;
  images: ImageRegistry;
}

/** Builds the `modelCard` service. */
export function createModelCardService(deps: ModelCardServiceDeps): ServiceImpl<ModelCardContract> {
  return {
    get: async ({ modelDir }) => {
      const dir = path.resolve(modelDir ?? deps.defaultModelDir);
      const { card, problem } = await readModelCard(dir);
      const samples: CardSample[] = [];
      let missingSamples = 0;
      for (const s of card?.samples ?? []) {
        const file = sampleImagePath(dir, s.image);
        if (!file) {
          missingSamples += 1;
          continue;
        }
        samples.push({
          path: file,
          url: deps.images.urlFor(file),
          question: s.question,
          answer: s.answer ?? null,
          family: s.family ?? null,
        });
      }
      return { dir, card, problem, samples, missingSamples };
    },
  };
}
