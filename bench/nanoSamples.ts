// Bench helper: the 12 SliME-Nano samples (models/nano/samples/samples.json) and the tiles that hold a sample's
// named object.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { InspectionRecord } from '../electron/shared/ipc/inference.ts';

export const NANO = path.resolve(import.meta.dirname, '..', 'models', 'nano');

/** One shipped sample; `box` is the named object's box in original-image pixels. */
export interface Sample {
  image: string;
  question: string;
  answer: string;
  family: string;
  box: [number, number, number, number];
}

export function nanoSamples(): Sample[] {
  return JSON.parse(readFileSync(path.join(NANO, 'samples', 'samples.json'), 'utf8')) as Sample[];
}

/** Tiles whose image part overlaps the object's box (original-image pixels). */
export function tilesHolding(rec: InspectionRecord, [x0, y0, x1, y1]: Sample['box']): number[] {
  return rec.tiles
    .filter((t) => t.width > 0 && t.height > 0 && t.x < x1 && x0 < t.x + t.width && t.y < y1 && y0 < t.y + t.height)
    .map((t) => t.index);
}
