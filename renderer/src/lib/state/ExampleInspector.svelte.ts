// Renderer: the inspector on a dataset example (opened from a "dropped evidence" flag on the Mining page or in the
// example editor), kept at module level so it is one drawer wherever it was opened from.
import type { RegionCoverage } from '$shared/ipc/miningTypes.ts';
import { api } from '../api/client.ts';
import { toErrorView } from '../components/errorView.ts';
import { InspectorState } from './InspectorState.svelte.ts';

/** The example inspector (the drawer shows while `exampleInspector.example` is set). */
export const exampleInspector = new InspectorState();

/** Opens example `exampleId` in the example inspector; `storedCoverage`: the coverage the caller showed, to compare. */
export async function inspectExample(exampleId: number, storedCoverage: RegionCoverage[] | null = null): Promise<void> {
  try {
    await exampleInspector.showExample(await api.dataset.getExample(exampleId), storedCoverage);
  } catch (thrown) {
    exampleInspector.error = toErrorView(thrown, `Could not open example #${exampleId}`);
  }
}
