// Node-only entry of browser mode (`npm run web`): the real services (inference process forked, database
// worker) behind a token-protected HTTP server on 127.0.0.1, so the app runs in any browser without Electron.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createServices, type Services } from '../services/createServices.ts';
import { forkSpawner } from '../forkChild.ts';
import { DEFAULT_MODEL_DIR, INFERENCE_ENTRY, defaultDataDir } from '../paths.ts';
import { readAppVersion } from '../appVersion.ts';
import { createRouter } from '../../shared/ipc/router.ts';
import { apiDescriptors } from '../../shared/ipc/registry.ts';
import { RENDERER_DIST, ensureRendererBuilt } from './rendererBuild.ts';
import { startWebServer, type WebServer } from './webServer.ts';

const DEFAULT_PORT = 5178;

const HELP = `Usage: npm run web -- [options]

Runs SliME Studio in your browser (no Electron): serves the app on 127.0.0.1 and prints the URL to open.

Options:
  --port <n>           port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 = any free port)
  --data-dir <dir>     data directory (default $SLIME_DATA_DIR or ~/.slime-studio)
  --model-dir <dir>    default model folder (default models/nano)
  --renderer-dir <dir> serve this built renderer instead of renderer/dist (skips the build)
  --no-build           do not build renderer/dist even when it is missing or stale
  -h, --help           show this help`;

/** The parsed command line. */
export interface WebOptions {
  port: number;
  dataDir: string;
  modelDir: string;
  rendererDir: string | null;
  build: boolean;
}

/** Parses the command line; throws an Error with a usage message on bad input, returns null for --help. */
export function parseWebArgs(argv: string[]): WebOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'model-dir': { type: 'string' },
      'renderer-dir': { type: 'string' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return null;
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got ${values.port}`);
  return {
    port,
    dataDir: path.resolve(values['data-dir'] ?? defaultDataDir()),
    modelDir: path.resolve(values['model-dir'] ?? DEFAULT_MODEL_DIR),
    rendererDir: values['renderer-dir'] === undefined ? null : path.resolve(values['renderer-dir']),
    build: !values['no-build'],
  };
}

function handleSignals(server: WebServer, services: Services): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      console.log('Stopping now.');
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: stopping the server, the inference process and the database worker…`);
    const forced = setTimeout(() => {
      console.error('Shutdown took longer than 10 s; exiting anyway.');
      process.exit(1);
    }, 10_000);
    forced.unref();
    void (async () => {
      await server.close();
      await services.dispose();
      console.log('Stopped.');
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(options: WebOptions): Promise<void> {
  if (options.rendererDir === null && options.build) await ensureRendererBuilt((line) => console.log(line));
  await mkdir(options.dataDir, { recursive: true });
  const services = await createServices({
    spawnInference: forkSpawner(INFERENCE_ENTRY),
    dataDir: options.dataDir,
    defaultModelDir: options.modelDir,
    version: readAppVersion(),
    electronVersion: null,
  });
  let server: WebServer;
  try {
    const router = createRouter(services.bindings, { onSlow: (channel, ms) => console.warn(`[web] slow ${channel}: ${ms.toFixed(0)} ms`) });
    const common = {
      router,
      descriptors: apiDescriptors(),
      subscribe: services.subscribe,
      images: services.images,
      storedImage: services.storedImage,
    };
    server = await startWebServer({ ...common, rendererDir: options.rendererDir ?? RENDERER_DIST, port: options.port });
  } catch (thrown) {
    await services.dispose();
    throw thrown;
  }
  handleSignals(server, services);
  const lines = ['SliME Studio is running in browser mode.', `  Open:      ${server.url}`, `  Data dir:  ${options.dataDir}`];
  console.log([...lines, `  Model:     ${options.modelDir}`, 'Press Ctrl+C to stop.'].join('\n'));
}

function describe(thrown: unknown): string {
  const code = (thrown as { code?: unknown }).code;
  if (code === 'EADDRINUSE') return 'That port is in use: pass another with --port <n> (0 = any free port).';
  return thrown instanceof Error ? thrown.message : String(thrown);
}

if (import.meta.main) {
  let options: WebOptions | null;
  try {
    options = parseWebArgs(process.argv.slice(2));
  } catch (thrown) {
    console.error(`error: ${describe(thrown)}\n\n${HELP}`);
    process.exit(2);
  }
  if (options === null) console.log(HELP);
  else
    main(options).catch((thrown: unknown) => {
      console.error(`error: ${describe(thrown)}`);
      process.exit(1);
    });
}
