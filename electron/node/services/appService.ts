// Implements the `app` contract on top of the inference supervisor; shared by Electron main, the CLI and tests.
import type { ServiceImpl } from '../../shared/ipc/contract.ts';
import type { AppInfo, ProviderInfo, appContract } from '../../shared/ipc/app.ts';
import type { Supervisor } from '../../shared/process/supervisor.ts';
import type { ContractClient } from '../../shared/process/client.ts';
import type { InferenceProcessContract } from '../../shared/ipc/inferenceProcess.ts';
import { unwrapInference } from '../../shared/errors.ts';

/** What the app service needs from its host. */
export interface AppServiceDeps {
  inference: Supervisor;
  /** Typed calls to the inference process. */
  inferenceClient: ContractClient<InferenceProcessContract>;
  version: string;
  dataDir: string;
  defaultModelDir: string;
  electronVersion: string | null;
}

/** Builds the `app` service. */
export function createAppService(deps: AppServiceDeps): ServiceImpl<typeof appContract> {
  return {
    async info(): Promise<AppInfo> {
      const providers: ProviderInfo[] = unwrapInference(await deps.inferenceClient.callWith('providers', [], { timeoutMs: 30_000 }));
      return {
        name: 'SliME Studio',
        version: deps.version,
        platform: process.platform,
        arch: process.arch,
        node: process.versions.node,
        electron: deps.electronVersion,
        executionProviders: providers,
        dataDir: deps.dataDir,
        defaultModelDir: deps.defaultModelDir,
        inferencePid: deps.inference.pid ?? null,
      };
    },
  };
}
