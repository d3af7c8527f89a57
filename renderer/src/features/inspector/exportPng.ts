// Renderer: heatmap figures as images — the shared SVG renderer (electron/shared/heatmap.ts, also behind
// `slime ask --heatmap`) as a data URL for the screen, and photo + SVG rasterised to a PNG download.
import type { InspectionRecord } from '$shared/ipc/inference.ts';
import { heatmapSvg, type HeatLayer, type HeatmapOptions, type HeatRegion } from '$shared/heatmap.ts';

/** The heatmap as an SVG data URL (drawn over the photo at the photo's size). */
export function heatmapDataUrl(record: InspectionRecord, layer: HeatLayer, options: HeatmapOptions = {}): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(heatmapSvg(record, layer, options))}`;
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`Could not load ${src.slice(0, 60)}`));
    img.src = src;
  });
}

/**
 * Photo + heatmap (with tile grid and legend band) as a PNG blob at the photo's original pixel size; `regions`: an
 * example's regions, drawn with the kept/dropped state of the cells under them (the evidence coverage on screen).
 */
export async function heatmapPng(
  photoUrl: string,
  record: InspectionRecord,
  layer: HeatLayer,
  caption?: string,
  regions: readonly HeatRegion[] = [],
): Promise<Blob> {
  const svg = heatmapDataUrl(record, layer, { legend: true, regions, ...(caption ? { caption } : {}) });
  const [photo, overlay] = await Promise.all([loadImage(photoUrl), loadImage(svg)]);
  const canvas = document.createElement('canvas');
  canvas.width = overlay.naturalWidth || overlay.width;
  canvas.height = overlay.naturalHeight || overlay.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('No 2D canvas');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(photo, 0, 0, record.original.width, record.original.height);
  ctx.drawImage(overlay, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}

/** Saves `blob` as `name` through the browser's download. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
