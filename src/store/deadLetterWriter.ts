import type { Database, Statement } from 'better-sqlite3';
import type { DeadLetter } from '../runtime/deadLetter.js';
import { encodeInput } from './payload.js';

/** One letter to write: the run's dead letter plus where it came from. */
export interface DeadLetterWrite {
  jobId: string;
  runId: string;
  letter: DeadLetter;
  /** The letter this one is a new failure of (a replay that failed again). */
  replayOf?: number | undefined;
}

export interface DeadLetterWriterOptions {
  /** Rows buffered before a flush is forced (default 500). */
  batchRows?: number | undefined;
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
 * Batches dead-letter writes on the main thread: rows are encoded when added and written in one
 * IMMEDIATE transaction every `batchRows` rows or on `flush()`. A row is durable once the flush
 * that wrote it returned. A failed flush keeps its rows and throws; the next flush tries again.
 */
export class DeadLetterWriter {
  readonly #batchRows: number;
  readonly #insert: Statement<Row>;
  readonly #writeAll: (rows: Row[]) => void;
  #buffer: Row[] = [];
  #closed = false;
  #written = 0;

  constructor(db: Database, options: DeadLetterWriterOptions = {}) {
    this.#batchRows = Math.max(1, options.batchRows ?? 500);
    this.#insert = db.prepare<Row>(
      `INSERT INTO dead_letters (job_id, run_id, task_key, task_index, input, input_error, reason,
         error_name, error_message, error_code, error_stack, attempts, first_failed_at, last_failed_at, replay_of)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const tx = db.transaction((rows: Row[]) => {
      for (const row of rows) this.#insert.run(...row);
    });
    this.#writeAll = (rows) => tx.immediate(rows);
  }

  /** Rows added but not yet written. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Rows written (committed) so far by this writer. */
  get written(): number {
    return this.#written;
  }

  /** Buffers one letter; flushes when the batch is full. */
  add(write: DeadLetterWrite): void {
    if (this.#closed) throw new Error('DeadLetterWriter is closed');
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
    if (this.#buffer.length >= this.#batchRows) this.flush();
  }

  /** Writes every buffered row in one transaction. Returns the number written. */
  flush(): number {
    if (this.#buffer.length === 0) return 0;
    const rows = this.#buffer;
    this.#writeAll(rows); // throws: rows stay buffered
    this.#buffer = [];
    this.#written += rows.length;
    return rows.length;
  }

  /** Flushes, then refuses further rows. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
  }
}
