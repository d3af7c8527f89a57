// Preload (sandboxed): exposes `window.api`, built from the contracts by the shared buildApi over ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron';
import { buildApi } from '../shared/ipc/buildApi.ts';
import { apiDescriptors } from '../shared/ipc/registry.ts';
import { ipcTransport } from './ipcTransport.ts';

contextBridge.exposeInMainWorld('api', buildApi(apiDescriptors(), ipcTransport(ipcRenderer)));
