// Svelte compiler settings (build time): runes mode everywhere; TypeScript in <script lang="ts"> is type-only.
/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  compilerOptions: { runes: true },
};
