// Renders export records as LLaVA JSON, LLaMA-Factory ShareGPT, OpenAI-style messages and COCO, and validates them first (database worker).
import type { ExportRecord } from './records.ts';

/** The placeholder SliME/LLaVA split prompts on. */
export const IMAGE_TOKEN = '<image>';

/** Path of a record's image inside the export folder. */
export function imageRelPath(record: ExportRecord): string | null {
  return record.image ? `images/${record.image.sha256}.${record.image.ext}` : null;
}

function countImageTokens(text: string): number {
  return text.split(IMAGE_TOKEN).length - 1;
}

/** The first question with the image placeholder where the record wants it (prefix unless imported as suffix). */
function firstHumanValue(record: ExportRecord, question: string): string {
  if (!record.image) return question;
  const placement = (record.provenance.import as { imagePlacement?: unknown } | undefined)?.imagePlacement;
  if (placement === 'suffix') return `${question}\n${IMAGE_TOKEN}`;
  if (placement === 'bare') return `${IMAGE_TOKEN}${question}`;
  return `${IMAGE_TOKEN}\n${question}`;
}

/** Human/gpt turns with the placeholder in the first human turn. */
export function conversationOf(record: ExportRecord): { from: 'human' | 'gpt'; value: string }[] {
  return record.turns.flatMap((t, i) => [
    { from: 'human' as const, value: i === 0 ? firstHumanValue(record, t.question) : t.question },
    { from: 'gpt' as const, value: t.answer },
  ]);
}

/**
 * Why a record cannot be exported, or null. Checks: at least one turn, no empty answer, `<image>` count equals image
 * count, roles alternate starting with the human (by construction, re-checked on the rendered turns), the image
 * file is in the store, every region box lies inside the image.
 */
export function validateRecord(record: ExportRecord, imageExists: boolean): string | null {
  if (record.turns.length === 0) return 'the example has no turns';
  if (record.turns.some((t) => t.answer.trim() === '')) return 'an answer is empty';
  const conversation = conversationOf(record);
  const tokens = conversation.reduce((n, t) => n + countImageTokens(t.value), 0);
  const images = record.image ? 1 : 0;
  if (tokens !== images) return `the text has ${tokens} ${IMAGE_TOKEN} placeholders for ${images} image(s)`;
  if (conversation.some((t, i) => t.from !== (i % 2 === 0 ? 'human' : 'gpt'))) return 'roles do not alternate starting with the human';
  if (record.image && !imageExists) return `image file ${record.image.sha256}.${record.image.ext} is missing from the store`;
  for (const r of record.regions) {
    const w = record.image?.width ?? 0;
    const h = record.image?.height ?? 0;
    if (!(r.x1 >= 0 && r.y1 >= 0 && r.x2 <= w && r.y2 <= h && r.x2 > r.x1 && r.y2 > r.y1))
      return `region ${r.id} lies outside the ${w}×${h} image`;
  }
  return null;
}

/** LLaVA JSON record (SliME's training format). */
export function toLlava(record: ExportRecord): Record<string, unknown> {
  const image = imageRelPath(record);
  return { id: record.id, ...(image ? { image } : {}), conversations: conversationOf(record) };
}

/**
 * LLaMA-Factory ShareGPT record. `withSystem` (true when any record of the file has a system prompt) gives every
 * record a `system` string ('' when it has none), so the file's columns match its dataset_info.json entry exactly.
 */
export function toShareGpt(record: ExportRecord, withSystem: boolean): Record<string, unknown> {
  const image = imageRelPath(record);
  return {
    id: record.id,
    conversations: conversationOf(record),
    ...(withSystem ? { system: record.system ?? '' } : {}),
    images: image ? [image] : [],
  };
}

/** OpenAI-style messages record (LLaMA-Factory "openai" flavour: string content with `<image>` plus `images`). */
export function toOpenAi(record: ExportRecord): Record<string, unknown> {
  const image = imageRelPath(record);
  const messages = conversationOf(record).map((t) => ({ role: t.from === 'human' ? 'user' : 'assistant', content: t.value }));
  if (record.system) messages.unshift({ role: 'system', content: record.system });
  return { id: record.id, messages, images: image ? [image] : [] };
}

/**
 * `dataset_info.json` entries for LLaMA-Factory, one per file. Its loader reads each mapped column of every record
 * (a `system` mapping over records without that key fails with KeyError: 'system'), so `system` is mapped only for
 * files whose records carry it (see {@link toShareGpt}).
 */
export function shareGptDatasetInfo(files: { name: string; file: string; withSystem: boolean }[]): Record<string, unknown> {
  return Object.fromEntries(
    files.map(({ name, file, withSystem }) => [
      name,
      {
        file_name: file,
        formatting: 'sharegpt',
        columns: { messages: 'conversations', images: 'images', ...(withSystem ? { system: 'system' } : {}) },
        tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' },
      },
    ]),
  );
}

/** COCO detection JSON for the regions of `records` (boxes as [x, y, width, height] in original pixels). */
export function toCoco(records: ExportRecord[]): Record<string, unknown> {
  const images = new Map<string, { id: number; file_name: string; width: number; height: number }>();
  const annotations: Record<string, unknown>[] = [];
  for (const record of records) {
    if (!record.image) continue;
    let image = images.get(record.image.sha256);
    if (!image) {
      image = { id: images.size + 1, file_name: imageRelPath(record)!, width: record.image.width, height: record.image.height };
      images.set(record.image.sha256, image);
    }
    for (const r of record.regions) {
      const w = r.x2 - r.x1;
      const h = r.y2 - r.y1;
      annotations.push({
        id: annotations.length + 1,
        image_id: image.id,
        category_id: 1,
        bbox: [r.x1, r.y1, w, h],
        area: w * h,
        iscrowd: 0,
        caption: r.note,
        attributes: { note: r.note, example_id: record.id, tokens: r.tokens },
      });
    }
  }
  return {
    info: { description: 'SliME Studio regions' },
    images: [...images.values()],
    annotations,
    categories: [{ id: 1, name: 'region', supercategory: 'region' }],
  };
}
