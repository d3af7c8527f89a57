// e2e helpers shared by the chat, inspector and dataset tests: the shipped SliME-Nano model, its samples, the tiny
// fixture model, and a typed call through the same router the page uses.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../electron/node/paths.ts';
import type { RunningApp } from './startApp.ts';
import type { Conversation, Message, Page } from '../../../electron/shared/ipc/dataset.ts';
import type { InspectionRecord } from '../../../electron/shared/ipc/inference.ts';

/** The shipped default model; the e2e tests require it (a missing model must fail them, not weaken them). */
export const NANO_DIR = path.join(REPO_ROOT, 'models', 'nano');
/** The tiny random fixture model: a real exported SliME that keeps talking until its context is full. */
export const TINY_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');

/** One entry of models/nano/samples/samples.json, with `image` made absolute. */
export interface NanoSample {
  image: string;
  question: string;
  answer: string;
  /** The named object's box in original-image pixels. */
  box: [number, number, number, number];
  family?: string;
  /** ship.py: whether the Python reference's hottest selector cell lies on the named object. */
  selector_hot_on_object?: boolean;
}

/** The shipped samples; throws when SliME-Nano is not in models/nano. */
export function nanoSamples(): NanoSample[] {
  if (!existsSync(path.join(NANO_DIR, 'manifest.json'))) throw new Error(`SliME-Nano is missing: no ${NANO_DIR}/manifest.json`);
  const dir = path.join(NANO_DIR, 'samples');
  const raw = JSON.parse(readFileSync(path.join(dir, 'samples.json'), 'utf8')) as NanoSample[];
  return raw.map((s) => ({ ...s, image: path.isAbsolute(s.image) ? s.image : path.join(dir, s.image) }));
}

/** Calls `channel` through the app's router with `args`; throws on a failed Result. */
export async function callRouter<T>(app: RunningApp, channel: string, ...args: unknown[]): Promise<T> {
  const result = await app.router.dispatch(channel, args);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

/**
 * Attaches `sample`'s image in the chat, asks its question, waits for the answer and opens the inspector on it (the
 * inspector e2e tests and the layout test start this way). Resolves to the answer's inspection record as stored.
 */
export async function askAndInspect(app: RunningApp, sample: NanoSample): Promise<InspectionRecord> {
  const { page } = app;
  await page.getByTestId('attach-input').setInputFiles(sample.image);
  await page.getByTestId('attachment').waitFor();
  await page.getByTestId('chat-input').fill(sample.question);
  await page.getByTestId('chat-send').click();
  await page.getByTestId('message-assistant').waitFor({ timeout: 170_000 });
  await page.getByTestId('message-inspect').click();
  await page.getByTestId('inspector').waitFor();
  const id = Number(await page.getByTestId('message-assistant').last().getAttribute('data-message-id'));
  const list = await callRouter<Page<Conversation>>(app, 'dataset:listConversations', {});
  const { messages } = await callRouter<{ messages: Message[] }>(app, 'dataset:getConversation', list.items[0]!.id);
  return messages.find((m) => m.id === id)!.inspection as InspectionRecord;
}

/** Adds the tiny fixture model as a user model folder in Settings and picks it in the chat's model picker. */
export async function pickTinyModel(app: RunningApp): Promise<void> {
  const { page } = app;
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('model-folder-input').fill(TINY_DIR);
  await page.getByTestId('model-folder-add').click();
  await page.getByText('SliME-tiny-fixture', { exact: true }).waitFor();
  await page.getByTestId('nav-chat').click();
  await page.getByTestId('model-picker').selectOption({ label: 'SliME-tiny-fixture' });
}
