import type { Database, Statement } from 'better-sqlite3';
import type { WardenClock } from '../runtime/clock.js';
import type { DeadLetter } from '../runtime/deadLetter.js';
import type { ChunkSettled } from '../runtime/resolveOptions.js';
import { encodeInput } from './payload.js';

/** One letter to write: the run's dead letter plus where it came from. */
export interface DeadLetterWrite {
  jobId: string;
  runId: string;
  letter: DeadLetter;
  /** The letter this one is a new failure of (a replay that failed again). */
  replayOf?: number | undefined;
}

export interface StoreWriterOptions {
  /** Rows buffered before a flush is forced (default 2000). */
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

/**
 * Columns of a dead_letters INSERT, and rows per multi-row INSERT. Consecutive rows of the
 * same run share one job_id and run_id parameter per statement (2 + 50 × 13 = 652 parameters):
 * each string parameter costs a UTF-8 copy, and most flushes hold the letters of one run.
 */
const COLUMNS = 15;
const ROW_COLUMNS = COLUMNS - 2;
const MULTI = 50;

type ChunkRow = [runId: string, chunk: number, size: number, succeeded: number, deadLettered: number, endedAt: number];
type EndRow = [endedAt: number, status: string, reason: string | null, metrics: string | null, runId: string];

/** How a run ended, as its row records it. */
export interface RunEnd {
  endedAt: Date;
  status: string;
  reason?: string | undefined;
  /** Stored as JSON. */
  metrics?: unknown;
}

/** The INSERT's parameters, positional (named binding costs about twice as much per row). */
type Row = [
  jobId: string,
  runId: string,
  taskKey: string,
  taskIndex: number,
  input: Buffer,
  inputError: string | null,
  reason: string,
  errorName: string,
  errorMessage: string,
  errorCode: string | number | null,
  errorStack: string | null,
  attempts: number,
  firstFailedAt: number,
  lastFailedAt: number,
  replayOf: number | null,
];

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
  readonly #insert: Statement<Row>;
  /** The same INSERT for MULTI rows of one run at once: one call into SQLite per MULTI rows (about 1.5× the rows/s). */
  readonly #insertMany: Statement<unknown[]>;
  readonly #insertChunk: Statement<ChunkRow>;
  readonly #endRun: Statement<EndRow>;
  readonly #writeAll: (rows: Row[], chunks: ChunkRow[], ends: EndRow[]) => void;
  #buffer: Row[] = [];
  #chunks: ChunkRow[] = [];
  #ends: EndRow[] = [];
  #timer: unknown;
  #closed = false;
  #written = 0;

  constructor(db: Database, options: StoreWriterOptions = {}) {
    this.#batchRows = Math.max(1, options.batchRows ?? 2000);
    this.#flushMs = Math.max(0, options.flushMs ?? 50);
    this.#clock = options.clock;
    this.#onError = options.onError;
    this.#beforeFlush = options.beforeFlush;
    const columns = `INSERT INTO dead_letters (job_id, run_id, task_key, task_index, input, input_error, reason,
         error_name, error_message, error_code, error_stack, attempts, first_failed_at, last_failed_at, replay_of) `;
    const tuple = (n: number): string => `(${Array(n).fill('?').join(', ')})`;
    this.#insert = db.prepare<Row>(`${columns}VALUES ${tuple(COLUMNS)}`);
    // the run's two columns once, then MULTI rows of the other 13 (VALUES keeps their order)
    this.#insertMany = db.prepare<unknown[]>(
      `${columns}SELECT run.job_id, run.run_id, v.* FROM (SELECT ? AS job_id, ? AS run_id) AS run, (VALUES ${Array(MULTI).fill(tuple(ROW_COLUMNS)).join(', ')}) AS v`,
    );
    this.#insertChunk = db.prepare<ChunkRow>(
      'INSERT OR REPLACE INTO run_chunks (run_id, chunk, size, succeeded, dead_lettered, ended_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#endRun = db.prepare<EndRow>('UPDATE runs SET ended_at = ?, status = ?, reason = ?, metrics = ? WHERE id = ?');
    const args: unknown[] = new Array(2 + MULTI * ROW_COLUMNS);
    const tx = db.transaction((rows: Row[], chunks: ChunkRow[], ends: EndRow[]) => {
      let i = 0;
      while (i < rows.length) {
        // [i, end): consecutive rows of one run, in the order they were added
        const first = rows[i] as Row;
        let end = i + 1;
        while (end < rows.length && (rows[end] as Row)[1] === first[1] && (rows[end] as Row)[0] === first[0]) end++;
        args[0] = first[0];
        args[1] = first[1];
        for (; i + MULTI <= end; i += MULTI) {
          for (let j = 0; j < MULTI; j++) {
            const row = rows[i + j] as Row;
            const at = 2 + j * ROW_COLUMNS;
            for (let c = 0; c < ROW_COLUMNS; c++) args[at + c] = row[c + 2];
          }
          this.#insertMany.run(args);
        }
        for (; i < end; i++) this.#insert.run(...(rows[i] as Row));
      }
      for (const chunk of chunks) this.#insertChunk.run(...chunk);
      for (const end of ends) this.#endRun.run(...end);
    });
    this.#writeAll = (rows, chunks, ends) => tx.immediate(rows, chunks, ends);
  }

  /** Rows added but not yet written (letters, chunks and run ends). */
  get pending(): number {
    return this.#buffer.length + this.#chunks.length + this.#ends.length;
  }

  /**
   * Records how a run ended, written behind every row added before it: a run's row says it
   * ended only once all its letters and chunks are in the file. Until then it says `running`,
   * so a host killed meanwhile leaves a run that is resumed, not one that lost letters.
   */
  runEnded(runId: string, end: RunEnd): void {
    if (this.#closed) throw new Error('StoreWriter is closed');
    const metrics = end.metrics === undefined ? null : JSON.stringify(end.metrics);
    this.#ends.push([end.endedAt.getTime(), end.status, end.reason ?? null, metrics, runId]);
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
    if (this.#buffer.length === 0 && this.#chunks.length === 0 && this.#ends.length === 0) return 0;
    const rows = this.#buffer;
    const chunks = this.#chunks;
    const ends = this.#ends;
    try {
      this.#beforeFlush?.();
      this.#writeAll(rows, chunks, ends);
    } catch (err) {
      // the rows stay buffered; whoever called this flush (a run's end, a full batch, the timer),
      // the next try is flushMs from now, not whenever another row happens to be added
      this.#armTimer();
      throw err;
    }
    this.#buffer = [];
    this.#chunks = [];
    this.#ends = [];
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
