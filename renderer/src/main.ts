// Renderer entry (sandboxed page): mounts the Svelte app.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from index.html');

/** The mounted root component. */
export const app = mount(App, { target });
