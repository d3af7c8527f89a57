// Unit: the import table of docs/architecture.md is enforced by ESLint as errors (ESLint's Node API on
// sources placed at paths inside each runtime folder; the files are virtual, so no other folder is touched).
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../../electron/node/paths.ts';

const eslint = new ESLint({ cwd: REPO_ROOT });

/** Lints `code` as if it were the file `relPath`; returns the boundary messages and the error count. */
async function lint(relPath: string, code: string): Promise<{ boundary: string[]; errors: number }> {
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}/${relPath}` });
  const messages = result?.messages ?? [];
  return {
    boundary: messages.filter((m) => m.ruleId === 'boundaries/imports').map((m) => m.message),
    errors: messages.filter((m) => m.severity === 2).length,
  };
}

describe('import rules', () => {
  it('fails a renderer file that imports better-sqlite3', async () => {
    const r = await lint('renderer/src/lintProbe.ts', "import Database from 'better-sqlite3';\nexport const db = Database;\n");
    expect(r.boundary).toEqual([expect.stringContaining('renderer may not use better-sqlite3')]);
    expect(r.boundary[0]).toContain('see the import table in docs/architecture.md');
  });

  it('fails a renderer file that imports node:fs', async () => {
    const r = await lint('renderer/src/lib/lintProbe.ts', "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
    expect(r.boundary).toEqual([expect.stringContaining('without Node built-ins')]);
  });

  it('fails a database file that imports electron', async () => {
    const r = await lint('database/lintProbe.ts', "import { app } from 'electron';\nexport const name = app.name;\n");
    expect(r.boundary).toEqual([expect.stringContaining('database may not use electron')]);
  });

  it('lets the database worker run the shared serve loop but not import node, main or inference code', async () => {
    const shared = await lint(
      'database/lintProbe.ts',
      "import { serve } from '../electron/shared/process/serve.ts';\nexport const s = serve;\n",
    );
    expect(shared).toEqual({ boundary: [], errors: 0 });
    const node = await lint(
      'database/lintProbe.ts',
      "import { REPO_ROOT } from '../electron/node/paths.ts';\nexport const r = REPO_ROOT;\n",
    );
    expect(node.boundary).toEqual([expect.stringContaining('database may not import from electron/node')]);
    const inference = await lint(
      'database/lintProbe.ts',
      "import { Engine } from '../electron/inference/engine.ts';\nexport const e = Engine;\n",
    );
    expect(inference.boundary).toEqual([expect.stringContaining('database may not import from electron/inference')]);
  });

  it('fails value imports across runtimes and allows the documented ones', async () => {
    const rendererValue = await lint(
      'renderer/src/lintProbe.ts',
      "import { createRouter } from '$shared/ipc/router.ts';\nexport const r = createRouter;\n",
    );
    expect(rendererValue.boundary).toEqual([expect.stringContaining('only types from electron/shared')]);
    const mainToInference = await lint(
      'electron/main/lintProbe.ts',
      "import { listProviders } from '../inference/providers.ts';\nexport const p = listProviders;\n",
    );
    expect(mainToInference.boundary).toEqual([expect.stringContaining('electron/main may not import from electron/inference')]);
    const sharedToNode = await lint(
      'electron/shared/lintProbe.ts',
      "import { readAppVersion } from '../node/appVersion.ts';\nexport const v = readAppVersion;\n",
    );
    expect(sharedToNode.boundary).toHaveLength(1);
  });

  it('passes a clean renderer file (import type from shared, pure constants, own modules)', async () => {
    const code = [
      "import type { AppInfo } from '$shared/ipc/app.ts';",
      "import { imageUrl } from '$shared/ipc/images.ts';",
      "import { REVIEW_STATUSES } from '$shared/ipc/datasetTypes.ts';",
      '/** The image url of an info. */',
      'export function first(info: AppInfo): string {',
      '  return imageUrl(info.name) + REVIEW_STATUSES[0];',
      '}',
      '',
    ].join('\n');
    expect(await lint('renderer/src/lintProbe.ts', code)).toEqual({ boundary: [], errors: 0 });
  });

  it('passes a clean main file importing shared, node services and the database client', async () => {
    const code = [
      "import { createRouter } from '../shared/ipc/router.ts';",
      "import { createServices } from '../node/services/createServices.ts';",
      "import type { Services } from '../node/services/createServices.ts';",
      'export const parts: [unknown, unknown] = [createRouter, createServices];',
      'export type S = Services;',
      '',
    ].join('\n');
    expect(await lint('electron/main/lintProbe.ts', code)).toEqual({ boundary: [], errors: 0 });
  });
});

describe('window.api', () => {
  it('may be touched only by renderer/src/lib/api/client.ts', async () => {
    const code = 'export const x: unknown = window.api;\n';
    const [other] = await eslint.lintText(code, { filePath: `${REPO_ROOT}/renderer/src/features/chat/probe.ts` });
    expect(other?.messages.map((m) => m.ruleId)).toContain('no-restricted-properties');
  });
});
