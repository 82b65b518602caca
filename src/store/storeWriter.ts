import type { Database, Statement } from 'better-sqlite3';
import type { WardenClock } from '../runtime/clock.js';
import type { DeadLetter } from '../runtime/deadLetter.js';
import type { ChunkSettled } from '../runtime/resolveOptions.js';
import { DeadLetterInserts, type LetterRow as Row } from './deadLetterInserts.js';
import { encodeInput } from './payload.js';
import { END_RUN_SQL, runEndRow, type RunEnd, type RunEndRow } from './runEnd.js';

/** One letter to write: the run's dead letter plus where it came from. */
export interface DeadLetterWrite {
  jobId: string;
  runId: string;
  letter: DeadLetter;
  /** The letter this one is a new failure of (a replay that failed again). */
  replayOf?: number | undefined;
}

export interface StoreWriterOptions {
  /**
   * Rows buffered before a flush is forced (default 10,000). Each flush is a commit, and each
   * commit an fsync of the WAL (about 3 ms here): at a high letter rate a larger batch spends
   * less of the main thread waiting for the disk. At a low rate the 50 ms timer flushes first.
   */
  batchRows?: number | undefined;
  /** A buffered row is written at the latest this long after it was added (default 50 ms; needs `clock`). */
  flushMs?: number | undefined;
  /** Arms the time-based flush. Without one, rows are written at `batchRows` and on `flush()` only. */
  clock?: WardenClock | undefined;
  /** A timed flush failed (the rows stay buffered and are tried again at the next one). */
  onError?: ((err: unknown) => void) | undefined;
  /** Called before each transaction a flush writes; throwing fails the flush (the simulation's store faults). */
  beforeFlush?: (() => void) | undefined;
}

type ChunkRow = [runId: string, chunk: number, size: number, succeeded: number, deadLettered: number, endedAt: number];
type MarkRow = [replayedAt: number, runId: string, letterId: number];

/**
 * The one writer on the main thread. Dead letters are encoded when added; they, the
 * chunks runs settle and the runs' ends are written together in one IMMEDIATE transaction every `batchRows`
 * rows, `flushMs` after the first buffered row, or on `flush()`. A chunk is added after
 * its letters, so a chunk recorded settled never lacks one of its letters. A row is durable
 * once the flush that wrote it returned. A failed flush keeps its rows and throws (a timed one
 * reports to `onError`); a timed flush tries them again `flushMs` later, whatever flush failed.
 */
export class StoreWriter {
  readonly #batchRows: number;
  readonly #flushMs: number;
  readonly #clock: WardenClock | undefined;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #beforeFlush: (() => void) | undefined;
  readonly #letters: DeadLetterInserts;
  readonly #insertChunk: Statement<ChunkRow>;
  readonly #endRun: Statement<RunEndRow>;
  readonly #markReplayed: Statement<MarkRow>;
  readonly #writeAll: (rows: Row[], chunks: ChunkRow[], ends: RunEndRow[], marks: MarkRow[]) => void;
  #buffer: Row[] = [];
  #chunks: ChunkRow[] = [];
  #ends: RunEndRow[] = [];
  #marks: MarkRow[] = [];
  #timer: unknown;
  #closed = false;
  #written = 0;

  constructor(db: Database, options: StoreWriterOptions = {}) {
    this.#batchRows = Math.max(1, options.batchRows ?? 10_000);
    this.#flushMs = Math.max(0, options.flushMs ?? 50);
    this.#clock = options.clock;
    this.#onError = options.onError;
    this.#beforeFlush = options.beforeFlush;
    this.#letters = new DeadLetterInserts(db);
    this.#insertChunk = db.prepare<ChunkRow>(
      'INSERT OR REPLACE INTO run_chunks (run_id, chunk, size, succeeded, dead_lettered, ended_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#endRun = db.prepare<RunEndRow>(END_RUN_SQL);
    this.#markReplayed = db.prepare<MarkRow>('UPDATE dead_letters SET replayed_at = ?, replay_run_id = ? WHERE id = ?');
    const tx = db.transaction((rows: Row[], chunks: ChunkRow[], ends: RunEndRow[], marks: MarkRow[]) => {
      this.#letters.write(rows);
      for (const chunk of chunks) this.#insertChunk.run(...chunk);
      for (const end of ends) this.#endRun.run(...end);
      for (const mark of marks) this.#markReplayed.run(...mark);
    });
    this.#writeAll = (rows, chunks, ends, marks) => tx.immediate(rows, chunks, ends, marks);
  }

  /** Rows added but not yet written (letters, chunks, run ends and replay marks). */
  get pending(): number {
    return this.#buffer.length + this.#chunks.length + this.#ends.length + this.#marks.length;
  }

  /**
   * Records how a run ended, written behind every row added before it: a run's row says it
   * ended only once all its letters and chunks are in the file. Until then it says `running`,
   * so a host killed meanwhile leaves a run that is resumed, not one that lost letters.
   * `replayed`: the stored letters the run replayed, marked replayed by it in the same
   * transaction (never before the new failures that link to them are written).
   */
  runEnded(runId: string, end: RunEnd, replayed?: readonly number[]): void {
    if (this.#closed) throw new Error('StoreWriter is closed');
    const row = runEndRow(runId, end);
    this.#ends.push(row);
    for (const id of replayed ?? []) this.#marks.push([row[0], runId, id]);
    this.#armTimer();
  }

  /** Records that every task of a run's chunk ended; written behind the letters added before it. */
  chunkSettled(runId: string, chunk: ChunkSettled, endedAt: number): void {
    if (this.#closed) throw new Error('StoreWriter is closed');
    this.#chunks.push([runId, chunk.index, chunk.size, chunk.succeeded, chunk.deadLettered, endedAt]);
    this.#arm();
  }

  #arm(): void {
    if (this.#buffer.length >= this.#batchRows) {
      this.flush();
      return;
    }
    this.#armTimer();
  }

  /** Arms the timed flush (at most one pending; none once closed). */
  #armTimer(): void {
    if (this.#timer !== undefined || !this.#clock || this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      try {
        this.flush();
      } catch (err) {
        this.#onError?.(err); // (the failed flush armed the next try)
      }
    }, this.#flushMs);
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  /** Rows written (committed) so far by this writer. */
  get written(): number {
    return this.#written;
  }

  /** Buffers one letter; flushes when the batch is full. */
  add(write: DeadLetterWrite): void {
    if (this.#closed) throw new Error('StoreWriter is closed');
    const { letter } = write;
    const encoded = encodeInput(letter.input);
    this.#buffer.push([
      write.jobId,
      write.runId,
      letter.key,
      letter.index,
      encoded.bytes,
      encoded.error,
      letter.reason,
      letter.error.name,
      letter.error.message,
      letter.error.code ?? null,
      letter.error.stack ?? null,
      letter.attempts,
      letter.firstFailedAt.getTime(),
      letter.lastFailedAt.getTime(),
      write.replayOf ?? null,
    ]);
    this.#arm();
  }

  /** Writes every buffered row in one transaction. Returns the number of letters written. */
  flush(): number {
    if (this.#timer !== undefined) {
      this.#clock?.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.pending === 0) return 0;
    const rows = this.#buffer;
    const chunks = this.#chunks;
    const ends = this.#ends;
    const marks = this.#marks;
    try {
      this.#beforeFlush?.();
      this.#writeAll(rows, chunks, ends, marks);
    } catch (err) {
      // the rows stay buffered; whoever called this flush (a run's end, a full batch, the timer),
      // the next try is flushMs from now, not whenever another row happens to be added
      this.#armTimer();
      throw err;
    }
    this.#buffer = [];
    this.#chunks = [];
    this.#ends = [];
    this.#marks = [];
    this.#written += rows.length;
    return rows.length;
  }

  /** Refuses further rows, then flushes (a failed last flush leaves its rows unwritten, and nothing armed to retry them). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.flush();
  }
}
