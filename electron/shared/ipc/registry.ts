// The list of every service contract the renderer can reach, and the `window.api` type derived from it.
// Pure TypeScript. Adding a service = one line in CONTRACTS (plus its binding in createServices.ts).
import type { ClientApi } from './contract.ts';
import { appContract } from './app.ts';
import { chatContract } from './chat.ts';
import { dialogContract } from './dialog.ts';
import { settingsContract } from './settings.ts';
import { modelCardContract } from './modelCard.ts';
import { datasetContract } from './dataset.ts';
import { inferenceContract } from './inference.ts';
import { convertContract } from './convert.ts';
import { miningContract } from './mining.ts';
import { describeContract, type ServiceDescriptor } from './buildApi.ts';

/** Every contract exposed on `window.api`, keyed by its service name. */
export const CONTRACTS = [
  appContract,
  datasetContract,
  inferenceContract,
  chatContract,
  dialogContract,
  settingsContract,
  modelCardContract,
  convertContract,
  miningContract,
] as const;

/** The shape of `window.api`: one ClientApi per service. */
export type WindowApi = { [C in (typeof CONTRACTS)[number] as C['service']]: ClientApi<C> };

/** Descriptors of every service, for the preload and the e2e bridge. */
export function apiDescriptors(): ServiceDescriptor[] {
  return CONTRACTS.map((c) => describeContract(c));
}
