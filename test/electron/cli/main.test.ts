// Unit (spawns the real inference process): the `slime` CLI's help, info, and clean error exits.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { EXIT_USAGE, runCli } from '../../../electron/cli/main.ts';
import { REPO_ROOT } from '../../../electron/node/paths.ts';
import { readAppVersion } from '../../../electron/node/appVersion.ts';
import type { AppInfo } from '../../../electron/shared/ipc/app.ts';

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('slime CLI', () => {
  it('lists the commands with --help', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/Usage: slime <command>[\s\S]*info\s+Show the version/);
  });

  it('prints app.info as text and as JSON', async () => {
    const text = await run('info', '--data-dir', '/tmp/slime-cli-test');
    expect(text.code).toBe(0);
    expect(text.out[0]).toBe(`SliME Studio ${readAppVersion()}`);
    expect(text.out.find((l) => l.startsWith('providers'))).toMatch(/cpu/);
    const json = await run('--data-dir', '/tmp/slime-cli-test', 'info', '--json');
    const info = JSON.parse(json.out.join('\n')) as AppInfo;
    expect(info.dataDir).toBe('/tmp/slime-cli-test');
    expect(info.executionProviders.some((p) => p.name === 'cpu' && p.bundled)).toBe(true);
  });

  it('exits with the error code and no stack on bad usage', async () => {
    expect(await run('frobnicate')).toMatchObject({
      code: EXIT_USAGE,
      err: ['error [ipc/unknown-method]: unknown command "frobnicate" (see slime --help)'],
    });
    const bad = await run('info', '--bogus');
    expect(bad.code).toBe(EXIT_USAGE);
    expect(bad.err[0]).toMatch(/^error \[ipc\/bad-args\]: Unknown option '--bogus'/);
    expect(await run()).toMatchObject({ code: EXIT_USAGE });
  });

  it('runs as a program: non-zero exit and one error line on stderr', async () => {
    const entry = path.join(REPO_ROOT, 'electron', 'cli', 'main.ts');
    const failure = await promisify(execFile)(process.execPath, [entry, 'frobnicate']).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failure && failure.code).toBe(EXIT_USAGE);
    expect(failure.stderr.trim().split('\n')).toEqual(['error [ipc/unknown-method]: unknown command "frobnicate" (see slime --help)']);
  });
});
