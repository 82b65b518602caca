/**
 * The store's schema, one migration per version. Append only: never edit a shipped
 * migration, add the next one. `PRAGMA user_version` holds the version applied.
 */
export interface Migration {
  version: number;
  sql: string;
}

/** Marks the file as a Warden store (`PRAGMA application_id`; ASCII "WRDN"). */
export const APPLICATION_ID = 0x5752444e;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        job_id      TEXT NOT NULL,
        slot        INTEGER,              -- the scheduled fire time (epoch ms); NULL for runNow
        host        TEXT NOT NULL,
        started_at  INTEGER NOT NULL,     -- epoch ms
        ended_at    INTEGER,
        status      TEXT NOT NULL,        -- 'running' until the run ends
        reason      TEXT,
        metrics     TEXT                  -- JSON
      ) STRICT;
      CREATE INDEX runs_by_job ON runs (job_id, started_at);
      CREATE INDEX runs_by_status ON runs (status);

      CREATE TABLE dead_letters (
        id               INTEGER PRIMARY KEY,
        job_id           TEXT NOT NULL,
        run_id           TEXT NOT NULL,
        task_key         TEXT NOT NULL,
        task_index       INTEGER NOT NULL,
        input            BLOB NOT NULL,   -- msgpackr, self-contained (no shared structures)
        input_error      TEXT,            -- set when the input could not be encoded (input is empty)
        reason           TEXT NOT NULL,
        error_name       TEXT NOT NULL,
        error_message    TEXT NOT NULL,
        error_code       ANY,             -- string or number, as the error had it
        error_stack      TEXT,
        attempts         INTEGER NOT NULL,
        first_failed_at  INTEGER NOT NULL,
        last_failed_at   INTEGER NOT NULL,
        replayed_at      INTEGER,
        replay_run_id    TEXT,
        replay_of        INTEGER          -- the letter this one is a new failure of
      ) STRICT;
      CREATE INDEX dead_letters_by_job ON dead_letters (job_id, id);
      CREATE INDEX dead_letters_by_run ON dead_letters (run_id, id);
      CREATE INDEX dead_letters_by_reason ON dead_letters (reason, id);
    `,
  },
  {
    version: 2,
    sql: `
      ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'scheduled'; -- scheduled | manual | resume | replay
      ALTER TABLE runs ADD COLUMN resume_of TEXT;                         -- the interrupted run this one resumes
      ALTER TABLE runs ADD COLUMN chunk_size INTEGER;                     -- what run_chunks.chunk counts in

      -- Chunks whose every task ended (succeeded or dead-lettered): what a resume skips.
      CREATE TABLE run_chunks (
        run_id         TEXT NOT NULL,
        chunk          INTEGER NOT NULL,
        size           INTEGER NOT NULL,
        succeeded      INTEGER NOT NULL,
        dead_lettered  INTEGER NOT NULL,
        ended_at       INTEGER NOT NULL,
        PRIMARY KEY (run_id, chunk)
      ) STRICT, WITHOUT ROWID;

      -- Per job: the last fire handled and the next one armed, so misfire grace and coalesce
      -- apply to fires that fell while the host was down.
      CREATE TABLE job_state (
        job_id      TEXT PRIMARY KEY,
        last_fire   INTEGER,
        next_fire   INTEGER,
        updated_at  INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    sql: `
      -- Every index is paid for on each dead-letter insert; this one cost about 15 % of the
      -- writer's rows/s. A reason filter now reads through the job or run index, or scans by id.
      DROP INDEX dead_letters_by_reason;
    `,
  },
];

/** The newest schema version this Warden knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
