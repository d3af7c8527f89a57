// Renderer: the chat view's state instances, kept at module level so the open chat, its streaming answer and the
// inspector survive switching to Dataset or Settings and back.
import { ChatConversations } from './ChatConversations.svelte.ts';
import { ChatSession } from './ChatSession.svelte.ts';
import { InspectorState } from './InspectorState.svelte.ts';

/** The open chat. */
export const chatSession = new ChatSession();
/** The chat list. */
export const chatList = new ChatConversations();
/** The inspector beside the chat. */
export const chatInspector = new InspectorState();

chatSession.onchange = () => void chatList.refresh();
