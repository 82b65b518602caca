import type { Logger } from 'pino';
import type { InspectionEvent, Observer } from 'xstate';
import { OptionError } from '../errors/OptionError.js';
import { describe } from '../runtime/validate.js';
import { pushBounded } from './pushBounded.js';

/** An inspector such as one from @statelyai/inspect: its `inspect` observer (or function), and `stop()`. */
export interface InspectorLike {
  inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  stop?: () => void;
}

/** `createWarden({ inspect })`: a callback, an inspector, or the WebSocket URL of an inspector server. */
export type InspectOption = ((event: InspectionEvent) => void) | InspectorLike | string;

/** The worker slot's per-task events: a million-task run would drown an inspector in them. */
const TASK_EVENTS = new Set(['RUN', 'NEXT', 'RESULTS', 'HEARTBEAT', 'PONG', 'RELEASE', 'NEW_RUNNING', 'TRIP', 'SUCCESS']);

/** True for an inspection event caused by one task (or a group of tasks) rather than by the run's supervision. */
export function isTaskEvent(e: InspectionEvent): boolean {
  const type = (e as { event?: { type?: unknown } }).event?.type;
  if (typeof type !== 'string') return false;
  if (TASK_EVENTS.has(type)) return true;
  // a worker slot's busy-period timers (deadline, heartbeat, ping)
  return type.startsWith('xstate.after.') && String((e.actorRef as { id?: unknown }).id ?? '').startsWith('worker-');
}

/** Events kept while the WebSocket inspector loads: every actor registration, and the last MAX_EARLY others. */
const MAX_EARLY = 1000;

/**
 * The WebSocket inspector, imported on first use (ws and @statelyai/inspect cost a host that
 * never inspects about 8 MB). Events sent before it is loaded are kept (every actor
 * registration and the last MAX_EARLY others) and handed to it in order; after close() it
 * is never started.
 */
function lazyWsInspector(url: string, log: Logger): { next: (e: InspectionEvent) => void; close: () => void } {
  let live: { next: (e: InspectionEvent) => void; stop: () => void } | undefined;
  let closed = false;
  let early: InspectionEvent[] = [];
  void import('./wsInspector.js').then(
    ({ startWsInspector }) => {
      if (closed) return;
      live = startWsInspector(url, log);
      for (const e of early) live.next(e);
      early = [];
    },
    (err: unknown) => log.error({ err }, 'the inspector could not be loaded'),
  );
  return {
    next: (e) => {
      if (live) return live.next(e);
      if (closed) return;
      pushBounded(early, e, MAX_EARLY, (x) => x.type === '@xstate.actor');
    },
    close: () => {
      closed = true;
      early = [];
      live?.stop();
    },
  };
}

/** A resolved inspector: the callback for every actor, and what close() calls. */
export interface ResolvedInspector {
  inspect: (event: InspectionEvent) => void;
  close: () => void;
}

/**
 * Turns the `inspect` option (or `WARDEN_INSPECT`, a WebSocket URL) into one callback.
 * Task-level events are dropped unless `tasks` is true.
 */
export function resolveInspector(option: unknown, tasks: boolean, log: Logger): ResolvedInspector | undefined {
  const value = option ?? process.env['WARDEN_INSPECT'];
  if (value === undefined || value === '') return undefined;
  let next: (e: InspectionEvent) => void;
  let close = () => {};
  if (typeof value === 'function') next = value as (e: InspectionEvent) => void;
  else if (typeof value === 'string') {
    if (!/^wss?:\/\//.test(value)) throw new OptionError('options.inspect', `is not a WebSocket URL (got ${describe(value)})`, "pass 'ws://127.0.0.1:8080' (an inspector server), a function, or an inspector");
    ({ next, close } = lazyWsInspector(value, log));
    log.info({ url: value }, 'sending machine events to the inspector');
  } else if (value !== null && typeof value === 'object' && 'inspect' in value) {
    const i = value as InspectorLike;
    next = typeof i.inspect === 'function' ? i.inspect : (e) => (i.inspect as Observer<InspectionEvent>).next?.(e);
    close = () => i.stop?.();
  } else {
    throw new OptionError('options.inspect', `must be a function, an inspector or a WebSocket URL (got ${describe(value)})`, "pass createBrowserInspector()-like objects, (e) => …, or 'ws://…'");
  }
  return {
    inspect: tasks ? next : (e) => (isTaskEvent(e) ? undefined : next(e)),
    close,
  };
}
