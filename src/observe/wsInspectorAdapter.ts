import type { Logger } from 'pino';
import WebSocket from 'ws';
import { pushBounded } from './pushBounded.js';

/** What @statelyai/inspect's createInspector sends through an adapter (a serialisable object). */
type InspectorMessage = object;

const RECONNECT_MS = 5000;
/** Events queued while not connected: every actor registration, and the last MAX_DEFERRED others. */
const MAX_DEFERRED = 1000;

/**
 * A WebSocket adapter for @statelyai/inspect's `createInspector`, for Node hosts. Unlike
 * the package's own, it never keeps the process alive: reconnect timers are unref'd, and
 * `stop()` ends the reconnect loop for good and closes the socket (after sending what was
 * queued, when connected). Events sent while not connected are queued: every actor
 * registration (an inspector cannot show an actor it never saw registered) and the last 1000 others.
 */
export class WsInspectorAdapter {
  private ws: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private deferred: Array<{ actor: boolean; message: string }> = [];

  constructor(
    readonly url: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.stopped || this.ws) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('open', () => {
      for (const m of this.deferred.splice(0)) ws.send(m.message);
    });
    ws.on('error', (err) => this.log.debug({ err, url: this.url }, 'inspector connection failed'));
    ws.on('close', () => {
      this.ws = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.start(), RECONNECT_MS);
      this.timer.unref();
    });
    // the socket itself must not keep the host alive either
    (ws as unknown as { _socket?: { unref?: () => void } })._socket?.unref?.();
    ws.on('upgrade', (res) => res.socket.unref());
  }

  send(event: InspectorMessage): void {
    if (this.stopped) return;
    const message = JSON.stringify(event);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(message);
    else {
      pushBounded(this.deferred, { actor: (event as { type?: unknown }).type === '@xstate.actor', message }, MAX_DEFERRED, (m) => m.actor);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    this.deferred = [];
    if (!ws) return;
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close();
  }
}
