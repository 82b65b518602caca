import { createInspector } from '@statelyai/inspect';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { WsInspectorAdapter } from './wsInspectorAdapter.js';

/** The Stately inspector over a WebSocket (loaded only when `inspect` is a URL: it brings ws and @statelyai/inspect). */
export function startWsInspector(url: string, log: Logger): { next: (e: InspectionEvent) => void; stop: () => void } {
  const inspector = createInspector(new WsInspectorAdapter(url, log));
  inspector.start();
  return { next: (e) => inspector.inspect.next?.(e), stop: () => inspector.stop() };
}
