// Contract of the `app` service: facts about the running app (version, platform, providers, folders).
import { defineContract, method } from './contract.ts';

/** One execution provider as onnxruntime-node reports it. */
export interface ProviderInfo {
  /** e.g. "cpu", "webgpu", "cuda", "dml", "coreml". */
  name: string;
  /** Whether its binaries ship with the installed onnxruntime-node. */
  bundled: boolean;
}

/** What `app.info` returns. */
export interface AppInfo {
  name: string;
  version: string;
  platform: string;
  arch: string;
  /** Node version of the process that answers (main in the app, the host process elsewhere). */
  node: string;
  /** Electron version, or null when running without Electron (CLI, tests). */
  electron: string | null;
  /** Execution providers reported by the inference process. */
  executionProviders: ProviderInfo[];
  /** Where the app keeps its database, images and settings. */
  dataDir: string;
  /** The default model folder (the shipped SliME-Nano). */
  defaultModelDir: string;
  /** pid of the inference process that answered. */
  inferencePid: number | null;
}

/** The `app` service. */
export const appContract = defineContract('app', {
  /** Version, platform, execution providers and data directory. Errors: `process/crashed`, `process/timeout`. */
  info: method<AppInfo>(),
});
