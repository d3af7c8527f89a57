// Contract of the `settings` service: model folders, the selected model, per-chat defaults and shortcuts, kept by
// main in the data folder (so browser mode keeps them across ports and the CLI reads the same ones).
import { z } from 'zod';
import { defineContract, event, method } from './contract.ts';
import { samplingSchema, selectorOverrideSchema, type ModelSummary } from './inference.ts';

/** Defaults a new chat starts with. */
export const chatDefaultsSchema = z.object({
  sampling: samplingSchema.optional(),
  selector: selectorOverrideSchema.optional(),
  systemPrompt: z.string().max(20_000).optional(),
});

/** A change to the settings (omitted fields stay). */
export const settingsPatchSchema = z.object({
  /** Absolute model folder, or null for the shipped default. */
  selectedModel: z.string().min(1).max(4096).nullable().optional(),
  chatDefaults: chatDefaultsSchema.optional(),
  /** Action name → accelerator, e.g. `{ send: 'Mod+Enter' }`. */
  shortcuts: z.record(z.string().max(100), z.string().max(100)).optional(),
});
/** Input of {@link settingsPatchSchema}. */
export type SettingsPatch = z.input<typeof settingsPatchSchema>;

/** The stored settings. */
export interface Settings {
  /** User model folders (absolute, validated when added); the shipped model is not listed. */
  modelFolders: string[];
  selectedModel: string | null;
  chatDefaults: z.output<typeof chatDefaultsSchema>;
  shortcuts: Record<string, string>;
}

const folder = z.string().min(1).max(4096);

/** The `settings` service. */
export const settingsContract = defineContract(
  'settings',
  {
    /** The current settings. */
    get: method<Settings>(),
    /** The shipped model and the stored model folders, each validated (a folder that stopped validating says why). */
    models: method<ModelSummary[]>(),
    /** Validates a model folder and stores it (absolute). Errors: the folder's `inference/model-*` error; nothing is stored. */
    addModelFolder: method<Settings, z.ZodTuple<[typeof folder], null>>(z.tuple([folder])),
    /** Forgets a model folder (and the selection when it pointed there). */
    removeModelFolder: method<Settings, z.ZodTuple<[typeof folder], null>>(z.tuple([folder])),
    /** Changes the selected model, chat defaults or shortcuts. */
    update: method<Settings, z.ZodTuple<[typeof settingsPatchSchema], null>>(z.tuple([settingsPatchSchema])),
  },
  {
    /** The settings changed (another window, the CLI in the same process). */
    changed: event<Settings>(),
  },
);

/** The `settings` contract's type. */
export type SettingsContract = typeof settingsContract;
