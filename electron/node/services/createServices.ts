// Node-only composition of the main-side services (used by Electron main, the CLI and the e2e harness):
// starts the inference supervisor over the given spawner and binds each contract to its implementation.
import type { Spawn } from '../../shared/process/protocol.ts';
import { Supervisor } from '../../shared/process/supervisor.ts';
import { bind, type Binding } from '../../shared/ipc/router.ts';
import { appContract } from '../../shared/ipc/app.ts';
import { createAppService } from './appService.ts';
import { inferenceContract, type AskResult, type ParsedAskRequest, type TokenEvent } from '../../shared/ipc/inference.ts';
import { chatContract } from '../../shared/ipc/chat.ts';
import { eventChannel, type ServiceImpl } from '../../shared/ipc/contract.ts';
import { createChatService } from './chatService.ts';
import { createAnswerGuard } from './answerGuard.ts';
import { dialogContract } from '../../shared/ipc/dialog.ts';
import { settingsContract } from '../../shared/ipc/settings.ts';
import { SettingsStore } from '../settingsStore.ts';
import { createSettingsService } from './settingsService.ts';
import { createDialogService, type DialogHost } from './dialogService.ts';
import { modelCardContract } from '../../shared/ipc/modelCard.ts';
import { createModelCardService } from './modelCardService.ts';
import { inferenceProcessContract, type InferenceProcessContract } from '../../shared/ipc/inferenceProcess.ts';
import { ContractClient } from '../../shared/process/client.ts';
import { createInferenceService } from './inferenceService.ts';
import { storedImageResolver } from './storedImages.ts';
import { EventHub, type EventListener } from '../eventHub.ts';
import { ImageRegistry } from '../imageRegistry.ts';
import { setupDataset } from '../datasetSetup.ts';
import { convertContract } from '../../shared/ipc/convert.ts';
import { createConvertService } from './convertService.ts';
import { REPO_ROOT } from '../paths.ts';
import { miningContract } from '../../shared/ipc/mining.ts';
import { createMiningService } from '../mining/miningService.ts';
import { inferenceSweeper } from '../mining/pairWork.ts';
import type { DatabaseClient } from '../../../database/client.ts';

/** What the host (Electron main, CLI, test harness) supplies. */
export interface ServicesOptions {
  /** Starts the inference process (utilityProcess in Electron, fork elsewhere). */
  spawnInference: Spawn;
  /** Where the app keeps its database, images and settings. */
  dataDir: string;
  /** The shipped SliME-Nano model folder. */
  defaultModelDir: string;
  version: string;
  /** Electron version, or null outside Electron. */
  electronVersion: string | null;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Native file dialogs (Electron main); without them `dialog.*` fails with `dialog/unavailable`. */
  dialogs?: DialogHost;
  /** Built database worker entry (Electron: out/main/databaseWorker.js); default: database/worker.ts. */
  databaseWorkerEntry?: string;
  /** Folder holding the converter's Python package `models/` (default: the repository; packaged app: resources/converter). */
  converterRoot?: string;
  /** Python interpreter for the converter (default: $SLIME_PYTHON, else <converterRoot>/.venv, else PATH). */
  python?: string;
}

/** The running services. */
export interface Services {
  /** One binding per contract, for createRouter. */
  bindings: Binding[];
  /** The supervised inference process. */
  inference: Supervisor;
  /** Typed calls to the inference process. */
  inferenceClient: ContractClient<InferenceProcessContract>;
  /** Local images the renderer may display (see electron/shared/ipc/images.ts for the URL scheme). */
  images: ImageRegistry;
  /** Resolves a stored image's sha256 to its file by asking the database worker (for `/image/sha/<sha256>`). */
  storedImage(sha256: string): Promise<string | null>;
  /** Subscribes a transport to every service event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Stops every service and child process. */
  dispose(): Promise<void>;
}

/** Runs an ask through the inference service, handing its `token` events (from the hub) to `onToken`. */
async function askWithTokens(
  hub: EventHub,
  inference: ServiceImpl<typeof inferenceContract>,
  request: ParsedAskRequest,
  onToken: (token: TokenEvent) => void,
): Promise<AskResult> {
  const channel = eventChannel(inferenceContract.service, 'token');
  const off = hub.subscribe((name, payload) => {
    if (name === channel && (payload as TokenEvent).requestId === request.requestId) onToken(payload as TokenEvent);
  });
  try {
    return await inference.ask(request);
  } finally {
    off();
  }
}

/** The `mining` service over the database worker and the inference process (10-minute base timeout). */
function miningService(
  db: DatabaseClient,
  inference: ContractClient<InferenceProcessContract>,
  hub: EventHub,
  defaultModelDir: string,
  log: NonNullable<ServicesOptions['log']>,
): ServiceImpl<typeof miningContract> {
  const timeoutMs = 600_000;
  const emit = hub.sinkFor(miningContract);
  return createMiningService({ db, inference, timeoutMs, sweep: inferenceSweeper(inference, timeoutMs), emit, defaultModelDir, log });
}

/** Builds every service. To add one: create it below and push one `bind(contract, impl)` line. */
/** The settings service (model folders validated by the engine) and the converter, which adds the folders it makes. */
function settingsAndConvert(options: ServicesOptions, inferenceImpl: ReturnType<typeof createInferenceService>, hub: EventHub) {
  const settingsImpl = createSettingsService({
    store: new SettingsStore(options.dataDir),
    validateModel: async (dir) => inferenceImpl.validateModel(dir),
    listModels: async (dirs) => inferenceImpl.listModels(dirs),
    defaultModelDir: options.defaultModelDir,
    emit: hub.sinkFor(settingsContract),
  });
  const convert = createConvertService({
    dataDir: options.dataDir,
    converterRoot: options.converterRoot ?? REPO_ROOT,
    ...(options.python ? { python: options.python } : {}),
    addModelFolder: async (dir) => settingsImpl.addModelFolder(dir),
    emit: hub.sinkFor(convertContract),
  });
  return { settingsImpl, convert };
}

export async function createServices(options: ServicesOptions): Promise<Services> {
  const log = options.log ?? ((level, message) => console[level === 'info' ? 'log' : level](message));
  const hub = new EventHub();
  const images = new ImageRegistry();
  const inference = new Supervisor({ spawn: options.spawnInference, name: 'inference', log });
  const inferenceClient = new ContractClient(inferenceProcessContract, inference);
  const disposers: (() => Promise<void> | void)[] = [() => inference.stop()];
  const deps = { ...options, inference: inferenceClient, images, events: hub, log };
  const dataset = setupDataset(deps, disposers);
  const resolveImageHash = storedImageResolver(dataset.worker.client);

  const inferenceImpl = createInferenceService({ ...deps, emit: hub.sinkFor(inferenceContract), resolveImageHash });
  const chat = createChatService({
    db: dataset.worker.client,
    ask: (request, onToken) => askWithTokens(hub, inferenceImpl, request, onToken),
    cancel: (requestId) => inferenceImpl.cancel(requestId) === true,
    emit: hub.sinkFor(chatContract),
    defaultModelDir: options.defaultModelDir,
    guard: createAnswerGuard(async (request) => inferenceImpl.embed(request)),
    log,
  });

  const { settingsImpl, convert } = settingsAndConvert(options, inferenceImpl, hub);
  disposers.push(() => convert.dispose());

  const bindings: Binding[] = [
    bind(appContract, createAppService({ ...deps, inference, inferenceClient })),
    dataset.binding,
    bind(inferenceContract, inferenceImpl),
    bind(chatContract, chat),
    bind(dialogContract, createDialogService(options.dialogs)),
    bind(settingsContract, settingsImpl),
    bind(modelCardContract, createModelCardService({ defaultModelDir: options.defaultModelDir, images })),
    bind(convertContract, convert.impl),
    bind(miningContract, miningService(dataset.worker.client, inferenceClient, hub, options.defaultModelDir, log)),
    // Add services here, one line each.
  ];

  return {
    bindings,
    inference,
    inferenceClient,
    images,
    storedImage: resolveImageHash,
    subscribe: (listener) => hub.subscribe(listener),
    async dispose() {
      for (const dispose of disposers.reverse()) await dispose();
    },
  };
}
