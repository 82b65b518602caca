/** GET /healthz: healthy, or why not. */
export type Health = { ok: true; checkedAt: string; lastTickAt: string } | { ok: false; checkedAt: string; reason: string };

/** How often the scheduler's liveness tick runs, and how stale it may get before the warden is unhealthy. */
export const TICK_MS = 5000;
export const STALE_TICK_MS = 3 * TICK_MS;

export interface HealthInputs {
  now: number;
  started: boolean;
  closing: boolean;
  /** When the scheduler's tick last ran (wall-clock ms, for the answer). */
  lastTickAt: number;
  /** How long ago it ran, on the clock's monotonic reading (a wall-clock step does not make it stale). */
  sinceTickMs: number;
  /** Throws when the store cannot take a write now. */
  probeStore: () => void;
  /** Rows a failed flush left buffered. */
  storeFailing: boolean;
}

/** 200-or-503 logic for /healthz: the scheduler ticks (its timers fire) and the store is writable. */
export function checkHealth(h: HealthInputs): Health {
  const checkedAt = new Date(h.now).toISOString();
  if (h.closing) return { ok: false, checkedAt, reason: 'closing' };
  if (!h.started) return { ok: false, checkedAt, reason: 'not started: call warden.start()' };
  const staleMs = Math.round(h.sinceTickMs);
  if (staleMs > STALE_TICK_MS) return { ok: false, checkedAt, reason: `the scheduler has not ticked for ${staleMs} ms (event loop blocked or timers not firing)` };
  if (h.storeFailing) return { ok: false, checkedAt, reason: 'store writes are failing (see the store.failed events / logs)' };
  try {
    h.probeStore();
  } catch (err) {
    return { ok: false, checkedAt, reason: `store not writable: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { ok: true, checkedAt, lastTickAt: new Date(h.lastTickAt).toISOString() };
}
