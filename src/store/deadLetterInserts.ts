import type { Database, Statement } from 'better-sqlite3';

/** One dead_letters row: the INSERT's parameters, positional (named binding costs about twice as much per row). */
export type LetterRow = [
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

const COLUMNS = `job_id, run_id, task_key, task_index, input, input_error, reason,
  error_name, error_message, error_code, error_stack, attempts, first_failed_at, last_failed_at, replay_of`;
/** Rows per multi-row INSERT. */
const MULTI = 50;
/** A row's columns that a block of one run shares: job and run. */
const RUN = [0, 1] as const;
/** A row's columns that a block of one failure shares: job, run, reason and the error. */
const FAILURE = [0, 1, 6, 7, 8, 9, 10] as const;
const OWN_OF_RUN = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] as const;
const OWN_OF_FAILURE = [2, 3, 4, 5, 11, 12, 13, 14] as const;

const tuple = (n: number): string => `(${Array(n).fill('?').join(', ')})`;

/** A multi-row INSERT: the shared columns bound once, then MULTI rows of the others (VALUES keeps their order). */
class BlockInsert {
  readonly #statement: Statement<unknown[]>;
  readonly #args: unknown[];

  constructor(
    db: Database,
    private readonly shared: readonly number[],
    private readonly own: readonly number[],
  ) {
    const value = (column: number): string => {
      const s = shared.indexOf(column);
      return s >= 0 ? `s.c${s}` : `v.column${own.indexOf(column) + 1}`;
    };
    const select = Array.from({ length: 15 }, (_, c) => value(c)).join(', ');
    const sharedCols = shared.map((_, s) => `? AS c${s}`).join(', ');
    this.#statement = db.prepare<unknown[]>(
      `INSERT INTO dead_letters (${COLUMNS}) SELECT ${select} FROM (SELECT ${sharedCols}) AS s, (VALUES ${Array(MULTI).fill(tuple(own.length)).join(', ')}) AS v`,
    );
    this.#args = new Array(shared.length + MULTI * own.length);
  }

  /** Inserts rows[from, from + MULTI), which share the `shared` columns. */
  run(rows: readonly LetterRow[], from: number): void {
    const args = this.#args;
    const first = rows[from] as LetterRow;
    const { shared, own } = this;
    for (let s = 0; s < shared.length; s++) args[s] = first[shared[s] as number];
    let at = shared.length;
    for (let j = 0; j < MULTI; j++) {
      const row = rows[from + j] as LetterRow;
      for (let c = 0; c < own.length; c++) args[at++] = row[own[c] as number];
    }
    this.#statement.run(args);
  }
}

function same(a: LetterRow, b: LetterRow, columns: readonly number[]): boolean {
  for (let c = columns.length - 1; c >= 0; c--) if (a[columns[c] as number] !== b[columns[c] as number]) return false;
  return true;
}

/** How far from `from` (up to `end`) the rows share `columns` with rows[from]. */
function extent(rows: readonly LetterRow[], from: number, end: number, columns: readonly number[]): number {
  const first = rows[from] as LetterRow;
  let i = from + 1;
  while (i < end && same(rows[i] as LetterRow, first, columns)) i++;
  return i;
}

/**
 * Writes dead_letters rows in the order given, with as few parameters bound as it can:
 * each string parameter costs a UTF-8 copy, and a flush mostly holds the letters of one
 * run, often of one failure (a dead dependency fails every task the same way). Blocks of
 * MULTI consecutive rows of one failure bind job, run, reason and error once (8 parameters
 * a row); of one run, job and run once (13 a row); the rest go one INSERT a row (15).
 * Call inside a transaction.
 */
export class DeadLetterInserts {
  readonly #one: Statement<LetterRow>;
  readonly #ofRun: BlockInsert;
  readonly #ofFailure: BlockInsert;

  constructor(db: Database) {
    this.#one = db.prepare<LetterRow>(`INSERT INTO dead_letters (${COLUMNS}) VALUES ${tuple(15)}`);
    this.#ofRun = new BlockInsert(db, RUN, OWN_OF_RUN);
    this.#ofFailure = new BlockInsert(db, FAILURE, OWN_OF_FAILURE);
  }

  write(rows: readonly LetterRow[]): void {
    let i = 0;
    while (i < rows.length) {
      const runEnd = extent(rows, i, rows.length, RUN);
      while (i < runEnd) {
        const failureEnd = extent(rows, i, runEnd, FAILURE);
        if (failureEnd - i >= MULTI) {
          for (; i + MULTI <= failureEnd; i += MULTI) this.#ofFailure.run(rows, i);
        } else if (runEnd - i >= MULTI) {
          this.#ofRun.run(rows, i);
          i += MULTI;
        } else {
          this.#one.run(...(rows[i] as LetterRow));
          i++;
        }
      }
    }
  }
}
