// Unit: the reader and writer objects are the worker's allow-list — disjoint, and together exactly the database contract.
import { describe, expect, it } from 'vitest';
import { reader } from '../../database/reader.ts';
import { writer } from '../../database/writer.ts';
import { databaseContract } from '../../electron/shared/ipc/database.ts';
import { datasetContract } from '../../electron/shared/ipc/dataset.ts';

describe('reader and writer', () => {
  it('split the contract without overlap and implement every method once', () => {
    const reads = Object.keys(reader);
    const writes = Object.keys(writer);
    expect(reads.filter((m) => writes.includes(m))).toEqual([]);
    expect([...reads, ...writes].sort()).toEqual(Object.keys(databaseContract.methods).sort());
  });

  it('puts every write the renderer can ask for on the writer', () => {
    const writes = new Set(Object.keys(writer));
    for (const m of ['addImage', 'appendMessage', 'updateExample', 'deleteExamples', 'bulkUpdate', 'setExampleTags', 'importDataset'])
      expect(writes.has(m) && m in datasetContract.methods).toBe(true);
  });
});
