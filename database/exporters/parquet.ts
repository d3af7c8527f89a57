// Parquet export in the Hugging Face datasets layout, written with hyparquet-writer (pure JS: no native build for
// Electron or the worker; measured in test/integration/exportLoaders.test.ts by loading it with `datasets`): one row per
// record with `id`, `image` as the struct {bytes, path} that datasets' Image feature stores, `conversations` as a
// list of {from, value} and a nullable `system`; the `huggingface` key of the file metadata declares those
// features, so `datasets.load_dataset("parquet", …)` gives Image objects. Row groups are written as they fill,
// so at most ROW_GROUP_BYTES of image bytes are held at once (database worker).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { ensureDirInside } from '../safePath.ts';
import { conversationOf } from './formats.ts';
import type { ExportRecord } from './records.ts';

const ROW_GROUP_ROWS = 256;
const ROW_GROUP_BYTES = 64 * 1024 * 1024;
const STRING = { dtype: 'string', _type: 'Value' };

/** The `datasets` features the file declares. */
export const PARQUET_FEATURES = {
  id: STRING,
  image: { _type: 'Image' },
  conversations: { feature: { from: STRING, value: STRING }, _type: 'List' },
  system: STRING,
};

const text = (name: string): SchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });

const SCHEMA: SchemaElement[] = [
  { name: 'schema', num_children: 4 },
  text('id'),
  { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
  { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
  text('path'),
  { name: 'conversations', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
  text('from'),
  text('value'),
  text('system'),
];

interface Group {
  id: string[];
  image: ({ bytes: Uint8Array; path: string } | null)[];
  conversations: { from: string; value: string }[][];
  system: (string | null)[];
  bytes: number;
}

const emptyGroup = (): Group => ({ id: [], image: [], conversations: [], system: [], bytes: 0 });

function flush(writer: ParquetWriter, group: Group): void {
  if (group.id.length === 0) return;
  writer.write({
    columnData: [
      { name: 'id', data: group.id },
      { name: 'image', data: group.image },
      { name: 'conversations', data: group.conversations },
      { name: 'system', data: group.system },
    ],
    rowGroupSize: group.id.length,
  });
}

/** Writes `records` as `root/name` (through a hidden temp file and a rename), image bytes read from the store. */
export async function writeParquet(root: string, name: string, records: ExportRecord[]): Promise<void> {
  const dir = await ensureDirInside(root, '.');
  const temp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const writer = new ParquetWriter({
      writer: fileWriter(temp),
      schema: SCHEMA,
      kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features: PARQUET_FEATURES } }) }],
      createdBy: 'SliME Studio (hyparquet-writer)',
    });
    let group = emptyGroup();
    for (const record of records) {
      const bytes = record.image ? new Uint8Array(await fs.readFile(record.image.source)) : null;
      group.id.push(record.id);
      group.image.push(bytes && record.image ? { bytes, path: `${record.image.sha256}.${record.image.ext}` } : null);
      group.conversations.push(conversationOf(record));
      group.system.push(record.system);
      group.bytes += bytes?.length ?? 0;
      if (group.id.length >= ROW_GROUP_ROWS || group.bytes >= ROW_GROUP_BYTES) {
        flush(writer, group);
        group = emptyGroup();
      }
    }
    flush(writer, group);
    writer.finish();
    await fs.rename(temp, path.join(dir, name));
  } catch (thrown) {
    await fs.rm(temp, { force: true });
    throw thrown;
  }
}
