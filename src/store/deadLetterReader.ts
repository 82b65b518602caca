import type { Database, Statement } from 'better-sqlite3';
import { decodeCursor, checkLimit, encodeCursor } from './cursor.js';
import { type DeadLetterRow, SUMMARY_COLUMNS, toSummary } from './deadLetterRows.js';
import { decodeInput, oversized } from './payload.js';
import type { DeadLetterFilter, Page, StoredDeadLetter, StoredDeadLetterSummary } from './types.js';

/** Reads dead letters: keyset-paginated lists (no inputs) and single letters with the input decoded. */
export class DeadLetterReader {
  readonly #db: Database;
  readonly #maxInputBytes: number;
  readonly #getMeta: Statement<[number], DeadLetterRow>;
  readonly #getInput: Statement<[number], { input: unknown }>;

  constructor(db: Database, maxInputBytes: number) {
    this.#db = db;
    this.#maxInputBytes = maxInputBytes;
    this.#getMeta = db.prepare<[number], DeadLetterRow>(`SELECT ${SUMMARY_COLUMNS} FROM dead_letters WHERE id = ?`);
    this.#getInput = db.prepare<[number], { input: unknown }>('SELECT input FROM dead_letters WHERE id = ?');
  }

  /** Oldest first. Pass the returned `cursor` to get the next page; it is absent on the last one. */
  list(filter: DeadLetterFilter = {}): Page<StoredDeadLetterSummary> {
    const limit = checkLimit(filter.limit);
    const after = decodeCursor(filter.cursor);
    const where = ['id > @after'];
    const params: Record<string, string | number> = { after, limit: limit + 1 };
    if (filter.jobId !== undefined) (where.push('job_id = @jobId'), (params.jobId = filter.jobId));
    if (filter.runId !== undefined) (where.push('run_id = @runId'), (params.runId = filter.runId));
    if (filter.reason !== undefined) (where.push('reason = @reason'), (params.reason = filter.reason));
    const rows = this.#db
      .prepare<Record<string, string | number>, DeadLetterRow>(
        `SELECT ${SUMMARY_COLUMNS} FROM dead_letters WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`,
      )
      .all(params);
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(toSummary);
    const last = items[items.length - 1];
    return more && last ? { items, cursor: encodeCursor(last.id) } : { items };
  }

  /**
   * One letter with its input. The size is checked before the blob is even read, so an
   * oversized or corrupt input gives `payload: { ok: false, error }` for this row; it never throws
   * for a bad payload. Undefined when no letter has that id.
   */
  get<I = unknown>(id: number): StoredDeadLetter<I> | undefined {
    const row = this.#getMeta.get(id);
    if (!row) return undefined;
    const summary = toSummary(row);
    if (row.input_error === null && row.input_bytes > this.#maxInputBytes) {
      return { ...summary, payload: oversized(row.input_bytes, this.#maxInputBytes) };
    }
    const blob = this.#getInput.get(id)?.input ?? null;
    return { ...summary, payload: decodeInput<I>(blob, row.input_error, this.#maxInputBytes) };
  }
}
