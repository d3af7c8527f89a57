// Node-only: which Python runs the checkpoint converter (`python -m models.export`) and whether it has its packages.
// The app does not ship Python or PyTorch (~1 GB): the converter runs in a Python the user installs once —
// `$SLIME_PYTHON` when set, else the `.venv` inside the converter folder (the repository in development; the
// `converter/` resources folder in a packaged app), else `python3`/`python` on PATH. A missing interpreter or package
// is reported with the exact command that installs it (models/requirements.txt).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ConvertPython } from '../shared/ipc/convert.ts';

/** Modules `python -m models.export` imports (models/requirements.txt pins their versions). */
export const CONVERTER_MODULES = ['torch', 'transformers', 'onnx', 'onnxruntime', 'safetensors', 'numpy', 'models.export'];

/** The interpreter of a venv inside `root`. */
export function venvPython(root: string): string {
  return process.platform === 'win32' ? path.join(root, '.venv', 'Scripts', 'python.exe') : path.join(root, '.venv', 'bin', 'python');
}

/** The shell command that creates the converter's venv and installs its packages. */
export function installCommand(root: string): string {
  const venv = path.join(root, '.venv');
  const req = path.join(root, 'models', 'requirements.txt');
  return `python3 -m venv "${venv}" && "${venvPython(root)}" -m pip install -r "${req}"`;
}

/** The interpreters to try, best first: an explicit one only, else the venv, else PATH. */
export function pythonCandidates(root: string, explicit?: string): string[] {
  if (explicit) return [explicit];
  const venv = venvPython(root);
  return [...(existsSync(venv) ? [venv] : []), ...(process.platform === 'win32' ? ['python'] : ['python3', 'python'])];
}

// Finds each module's spec without importing it (torch takes seconds to import; this takes ~50 ms).
const PROBE = `import importlib.util, json, sys
missing = []
for m in sys.argv[1:]:
    try:
        ok = importlib.util.find_spec(m) is not None
    except Exception:
        ok = False
    if not ok:
        missing.append(m)
print(json.dumps({"missing": missing, "version": list(sys.version_info[:2])}))`;

function probe(python: string, root: string): Promise<{ missing: string[]; version: number[] } | null> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE, ...CONVERTER_MODULES], { cwd: root, timeout: 30_000, windowsHide: true }, (error, stdout) => {
      if (error) return resolve(null);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as { missing: string[]; version: number[] });
      } catch {
        resolve(null);
      }
    });
  });
}

/** The first candidate that runs, with what it lacks; `path: null` when none runs. */
export async function findPython(root: string, explicit?: string): Promise<ConvertPython> {
  const install = installCommand(root);
  let fallback: ConvertPython | null = null;
  for (const candidate of pythonCandidates(root, explicit)) {
    const found = await probe(candidate, root);
    if (!found) continue;
    const tooOld = (found.version[0] ?? 0) < 3 || (found.version[0] === 3 && (found.version[1] ?? 0) < 11);
    const missing = tooOld ? ['python>=3.11', ...found.missing] : found.missing;
    if (missing.length === 0) return { path: candidate, missing, install };
    fallback ??= { path: candidate, missing, install };
  }
  return fallback ?? { path: null, missing: ['python>=3.11', ...CONVERTER_MODULES], install };
}

/** The sentence a `convert/python-missing` failure shows. */
export function pythonMissingMessage(python: ConvertPython): string {
  const what = python.path ? `${python.path} lacks ${python.missing.join(', ')}` : 'no Python 3.11+ was found';
  return (
    `Converting needs Python 3.11+ with the converter's packages (models/requirements.txt): ${what}. ` +
    `Install them with: ${python.install} — or set SLIME_PYTHON to an interpreter that has them.`
  );
}
