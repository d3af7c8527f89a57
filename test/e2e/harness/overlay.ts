// e2e helper: how much of the photo the inspector's overlay canvas hides (shared by the inspector tests).
import type { Page } from 'playwright-core';

/** Median alpha (0–1) of the overlay canvas over the photo. */
export async function medianOverlayAlpha(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="overlay-canvas"]')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const alphas: number[] = [];
    for (let i = 3; i < d.length; i += 4) alphas.push(d[i]!);
    alphas.sort((a, b) => a - b);
    return alphas[Math.floor(alphas.length / 2)]! / 255;
  });
}
