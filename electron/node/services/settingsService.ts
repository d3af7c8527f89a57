// Implements the `settings` contract in Node over the data folder's settings file; a model folder is validated by the
// inference process before it is stored, and one that fails is refused with its error. The model list is built from
// the stored folders here, so the page never sends them.
import path from 'node:path';
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type { SettingsContract } from '../../shared/ipc/settings.ts';
import type { ModelSummary } from '../../shared/ipc/inference.ts';
import { AppFailure, isErrorCode } from '../../shared/errors.ts';
import type { SettingsStore } from '../settingsStore.ts';

/** What the settings service needs from its host. */
export interface SettingsServiceDeps {
  store: SettingsStore;
  /** Validates a model folder (the inference service's validateModel). */
  validateModel(dir: string): Promise<ModelSummary>;
  /** The shipped model and the given folders, validated (the inference service's listModels). */
  listModels(dirs: string[]): Promise<ModelSummary[]>;
  defaultModelDir: string;
  emit: EventSink<SettingsContract>;
}

/** Builds the `settings` service. */
export function createSettingsService(deps: SettingsServiceDeps): ServiceImpl<SettingsContract> {
  const shipped = path.resolve(deps.defaultModelDir);
  const publish = <T extends Parameters<EventSink<SettingsContract>>[1]>(settings: T): T => {
    deps.emit('changed', settings);
    return settings;
  };
  return {
    get: () => deps.store.read(),
    models: async () => deps.listModels((await deps.store.read()).modelFolders),
    addModelFolder: async (dir) => {
      const absolute = path.resolve(dir);
      const summary = await deps.validateModel(absolute);
      if (!summary.valid) {
        const code = summary.error && isErrorCode(summary.error.code) ? summary.error.code : 'inference/model-invalid';
        throw new AppFailure(code, summary.error?.message ?? `${absolute} is not a model folder.`, { dir: absolute });
      }
      if (absolute === shipped) return deps.store.read();
      return publish(await deps.store.change((s) => ({ ...s, modelFolders: [...new Set([...s.modelFolders, absolute])] })));
    },
    removeModelFolder: async (dir) => {
      const absolute = path.resolve(dir);
      return publish(
        await deps.store.change((s) => ({
          ...s,
          modelFolders: s.modelFolders.filter((f) => f !== absolute),
          selectedModel: s.selectedModel === absolute ? null : s.selectedModel,
        })),
      );
    },
    update: async (patch) =>
      publish(
        await deps.store.change((s) => ({
          ...s,
          ...(patch.selectedModel !== undefined ? { selectedModel: patch.selectedModel && path.resolve(patch.selectedModel) } : {}),
          ...(patch.chatDefaults ? { chatDefaults: patch.chatDefaults } : {}),
          ...(patch.shortcuts ? { shortcuts: { ...s.shortcuts, ...patch.shortcuts } } : {}),
        })),
      ),
  };
}
