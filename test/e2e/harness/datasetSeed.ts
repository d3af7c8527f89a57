// e2e helper: a seeded dataset for the Dataset tests — real PNG scenes drawn by librsvg through sharp, added through
// the same router the page uses.
import path from 'node:path';
import sharp from 'sharp';
import type { Example, ImageRecord } from '../../../electron/shared/ipc/dataset.ts';
import type { RunningApp } from './startApp.ts';

/** A real PNG (drawn by librsvg through sharp): a red ball and a blue box on a grass-green field. */
export async function scenePng(file: string, hue: number): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">
    <rect width="640" height="480" fill="hsl(${hue},45%,62%)"/><rect y="300" width="640" height="180" fill="hsl(${(hue + 60) % 360},40%,42%)"/>
    <circle cx="200" cy="330" r="60" fill="#d9342b"/><rect x="400" y="220" width="140" height="120" fill="#2f5fd0"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}

/**
 * Seeds the dataset of `app` (data folder `dataDir`): 24 scene examples with real PNGs in four statuses and two tag
 * sets, and one "ball on the grass" example with model provenance. Resolves to the ball example's id.
 */
export async function seedDataset(app: RunningApp, dataDir: string): Promise<number> {
  const call = async <T>(method: string, ...args: unknown[]): Promise<T> => {
    const result = await app.router.dispatch(`dataset:${method}`, args);
    if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
    return result.value as T;
  };
  const questions = [
    ['What is on the table next to the lamp?', 'A stack of three books and a coffee mug.'],
    ['Read the sign above the door.', 'The sign says "Platform 4".'],
    ['How many windows does the house have?', 'Six windows are visible on the front.'],
    ['What time does the clock show?', 'The clock shows ten past two.'],
  ];
  const statuses = ['draft', 'needs-review', 'accepted', 'rejected'] as const;
  for (let i = 0; i < 24; i++) {
    const file = path.join(dataDir, `scene-${i}.png`);
    await scenePng(file, (i * 37) % 360);
    const image = await call<ImageRecord>('addImageFile', file);
    const [question, answer] = questions[i % questions.length]!;
    await call('createExample', {
      imageSha256: image.sha256,
      turns: [{ question, answer }],
      status: statuses[i % 4],
      tags: i % 3 ? ['scene'] : ['scene', 'text'],
      answerSource: 'model',
    });
  }
  const file = path.join(dataDir, 'ball.png');
  await scenePng(file, 200);
  const image = await call<ImageRecord>('addImageFile', file);
  const example = await call<Example>('createExample', {
    imageSha256: image.sha256,
    turns: [{ question: 'What colour is the ball on the grass?', answer: 'The ball is red.' }],
    answerSource: 'model',
    status: 'needs-review',
    provenance: {
      model: 'SliME-Nano',
      manifestHash: 'a3f1c2d4e5b6a7980112233445566778',
      executionProvider: 'cpu',
      selector: { mode: 'single', topP: 0.9 },
      inspection: {
        grid: { cols: 2, rows: 1, tiles: 2 },
        tileSize: 336,
        tokens: { global: 576, localBefore: 288, localAfter: 96 },
        selector: { mode: 'single', topP: 0.9, kept: 96, of: 288 },
      },
    },
  });
  return example.id;
}
