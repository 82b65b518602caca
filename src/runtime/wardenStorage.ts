import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { openSqliteStore, type SqliteStore } from '../store/openSqliteStore.js';
import type { StoreWriter } from '../store/storeWriter.js';
import type { WardenClock } from './clock.js';
import type { ResolvedStore } from './storeOption.js';
import type { TypedEmitter } from './typedEmitter.js';
import type { WardenEvents } from './wardenEvents.js';

/** This process as a run's `host`: `<hostname>#<pid>`. */
export const HOST_ID = `${hostname()}#${process.pid}`;

/**
 * True when `host` names another process on this machine that is still alive: its runs are
 * not interrupted, they are someone else's (two hosts on one SQLite file; use one file per host).
 */
export function hostAliveElsewhere(host: string): boolean {
  const at = host.lastIndexOf('#');
  if (at < 0 || host.slice(0, at) !== hostname()) return false;
  const pid = Number(host.slice(at + 1));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Store faults, for the simulation (internal: not exported from the package, not public API).
 * `before` is called before each store operation: every `attempt(operation)` (some only
 * buffer: `write dead letter`, `write progress`), each transaction of the writer
 * (`'write rows'`: its letters and chunks) and health's probe (`'probe'`); it throws to make
 * that operation fail as a failing disk would. `closing` sees the store once, after the last
 * flush, just before it closes: what it holds then, and the rows it could not write.
 */
export interface StoreFaults {
  before(operation: string): void;
  closing?(store: SqliteStore, unwritten: number): void;
}

/** A warden's open store and its one writer. Store failures are logged and reported, never thrown into a run. */
export class WardenStorage {
  readonly store: SqliteStore;
  readonly writer: StoreWriter;
  readonly host = HOST_ID;

  constructor(
    resolved: ResolvedStore,
    clock: WardenClock,
    private readonly log: Logger,
    private readonly events: TypedEmitter<WardenEvents>,
    private readonly faults?: StoreFaults | undefined,
  ) {
    this.store = openSqliteStore(resolved.path, { synchronous: resolved.synchronous });
    const beforeFlush = faults ? () => faults.before('write rows') : undefined;
    this.writer = this.store.writer({ clock, onError: (err) => this.failed('flush', err), beforeFlush });
  }

  /** Runs a store write; a failure is logged and emitted as `store.failed`, and `fallback` returned. */
  attempt<T>(operation: string, write: () => T, fallback: T): T {
    try {
      this.faults?.before(operation);
      return write();
    } catch (err) {
      this.failed(operation, err);
      return fallback;
    }
  }

  failed(operation: string, error: unknown): void {
    this.log.error({ err: error, operation }, 'store write failed');
    this.events.emit('store.failed', { operation, error });
  }

  /** Throws when the store cannot take a write now (health's probe). */
  probe(): void {
    this.faults?.before('probe');
    this.store.db.transaction(() => undefined).immediate();
  }

  /** Writes what is buffered, then closes the file. Never throws: rows that cannot be written are reported (`store.failed`) and counted in the log. */
  close(): void {
    this.attempt('flush', () => this.writer.flush(), 0);
    const unwritten = this.writer.pending;
    this.faults?.closing?.(this.store, unwritten);
    try {
      this.store.close();
    } catch (err) {
      this.failed('close', err);
    }
    if (unwritten > 0) this.log.error({ rows: unwritten }, 'store closed with rows it could not write');
  }
}
