// The database worker's method table: names, argument tuples and results (shared by worker and client; types + one allow-list).
import type {
  BulkChange,
  Conversation,
  DatasetHealth,
  DatasetStats,
  DuplicateGroup,
  Example,
  ExamplePatch,
  ExampleQuery,
  ExampleSummary,
  ExportOptions,
  ExportSummary,
  ImageRecord,
  ImportOptions,
  ImportSummary,
  Message,
  NewExample,
  NewMessage,
  NewRegion,
  Page,
  Region,
  SaveFromMessage,
  TagCount,
} from '../electron/shared/ipc/dataset.ts';
import type { ScoreCandidate } from './queries/scores.ts';

export type { ScoreCandidate };

/** Progress a long worker job emits as request events. */
export interface WorkerProgress {
  phase: string;
  done: number;
  total: number;
}

/** Every method the worker answers, as `(…args) => result`. */
export interface DbMethods {
  health(): DatasetHealth;
  addImage(bytes: Uint8Array, fileName: string | null): ImageRecord;
  addImageFile(file: string): ImageRecord;
  getImage(sha256: string): ImageRecord;
  createConversation(title: string): Conversation;
  listConversations(search: string | undefined, offset: number, limit: number): Page<Conversation>;
  getConversation(id: number): { conversation: Conversation; messages: Message[] };
  renameConversation(id: number, title: string): Conversation;
  deleteConversation(id: number): { deleted: boolean };
  appendMessage(conversationId: number, message: NewMessage): Message;
  saveExampleFromMessage(input: SaveFromMessage): Example;
  createExample(input: NewExample): Example;
  createExamples(inputs: NewExample[]): number[];
  getExample(id: number): Example;
  updateExample(id: number, patch: ExamplePatch): Example;
  setDeleted(ids: number[], deleted: boolean): { changed: number };
  listExamples(query: ExampleQuery): Page<ExampleSummary>;
  bulkUpdate(ids: number[], change: BulkChange): { changed: number };
  findDuplicates(maxDistance: number): DuplicateGroup[];
  stats(): DatasetStats;
  addRegion(exampleId: number, region: NewRegion): Region;
  updateRegion(id: number, patch: Partial<NewRegion>): Region;
  deleteRegion(id: number): { deleted: boolean };
  listTags(): TagCount[];
  setExampleTags(id: number, tags: string[]): string[];
  exportDataset(options: ExportOptions): ExportSummary;
  importDataset(options: ImportOptions): ImportSummary;
  scoreCandidates(ids: number[] | undefined, rescore: boolean): ScoreCandidate[];
  recordScore(id: number, full: number, globalOnly: number): boolean;
  unscoredCount(): number;
  close(): boolean;
}

/** A worker method's name. */
export type DbMethod = keyof DbMethods;
/** A worker method's argument tuple. */
export type DbArgs<K extends DbMethod> = Parameters<DbMethods[K]>;
/** A worker method's result. */
export type DbResult<K extends DbMethod> = ReturnType<DbMethods[K]>;

/** The allow-list the worker dispatches from; anything else is answered with `ipc/unknown-method`. */
export const DB_METHODS = [
  'health',
  'addImage',
  'addImageFile',
  'getImage',
  'createConversation',
  'listConversations',
  'getConversation',
  'renameConversation',
  'deleteConversation',
  'appendMessage',
  'saveExampleFromMessage',
  'createExample',
  'createExamples',
  'getExample',
  'updateExample',
  'setDeleted',
  'listExamples',
  'bulkUpdate',
  'findDuplicates',
  'stats',
  'addRegion',
  'updateRegion',
  'deleteRegion',
  'listTags',
  'setExampleTags',
  'exportDataset',
  'importDataset',
  'scoreCandidates',
  'recordScore',
  'unscoredCount',
  'close',
] as const satisfies readonly DbMethod[];

/** Methods that change the dataset (refused when it was opened read-only). */
export const WRITE_METHODS: ReadonlySet<DbMethod> = new Set<DbMethod>([
  'addImage',
  'addImageFile',
  'createConversation',
  'renameConversation',
  'deleteConversation',
  'appendMessage',
  'saveExampleFromMessage',
  'createExample',
  'createExamples',
  'updateExample',
  'setDeleted',
  'bulkUpdate',
  'addRegion',
  'updateRegion',
  'deleteRegion',
  'setExampleTags',
  'importDataset',
  'recordScore',
]);

/** What the worker is started with (workerData). */
export interface WorkerConfig {
  /** The SQLite file. */
  dbPath: string;
  /** The content-addressed image store folder. */
  imagesDir: string;
  readOnly?: boolean;
}

/** Compile-time check that the allow-list names every method. */
export const DB_METHODS_COMPLETE: Record<Exclude<DbMethod, (typeof DB_METHODS)[number]>, never> = {};
