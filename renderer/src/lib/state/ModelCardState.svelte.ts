// Renderer: the chosen model's card and sample gallery (the `modelCard` service reads card.json in the model folder),
// loaded once per folder; the empty chat and the model picker show it.
import type { ModelCardView } from '$shared/ipc/modelCard.ts';
import { api } from '../api/client.ts';
import { describeError } from '../components/errorView.ts';

/** The card of one model folder at a time. */
export class ModelCardState {
  view: ModelCardView | null = $state(null);
  loading = $state(false);
  error: string | null = $state(null);
  private key: string | null = null;

  /** Loads the card of `modelDir` (undefined: the shipped model) unless it is the one shown. */
  async load(modelDir: string | undefined): Promise<void> {
    const key = modelDir ?? '';
    if (key === this.key && (this.view || this.loading)) return;
    this.key = key;
    this.loading = true;
    try {
      const view = await api.modelCard.get(modelDir ? { modelDir } : {});
      if (this.key === key) {
        this.view = view;
        this.error = null;
      }
    } catch (thrown) {
      if (this.key === key) this.error = `Could not read the model card: ${describeError(thrown)}`;
    } finally {
      if (this.key === key) this.loading = false;
    }
  }
}

/** The app's one model-card state (chat and model picker). */
export const modelCard = new ModelCardState();
