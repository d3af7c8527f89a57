// Inference process: reports the execution providers onnxruntime-node ships for this platform.
import { listSupportedBackends } from 'onnxruntime-node';
import type { ProviderInfo } from '../shared/ipc/app.ts';

/** The execution providers onnxruntime-node reports, with whether their binaries are bundled here. */
export function listProviders(): ProviderInfo[] {
  return listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}
