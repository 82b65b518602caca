import pino from 'pino';
import { createWarden, type Warden } from '../runtime/createWarden.js';
import { openSqliteStore } from '../store/openSqliteStore.js';
import { DEMO_POINTS } from './demoGrid.js';
import { DEMO_BUDGETS, DEMO_CIRCUIT, DEMO_EVERY_MS, DEMO_FIRES, DEMO_JOB, demoJob } from './demoJob.js';
import { applyDemoEvent, initialDemoState, type DemoEvent, type DemoState } from './demoModel.js';
import { demoReport, type DemoStored } from './demoReport.js';
import { plainLine } from './plainLine.js';
import { ttyFrame } from './ttyFrame.js';
import { TtyScreen } from './ttyScreen.js';

/** `tty`: live bars redrawn in place; `plain`: one line per event; `json`: nothing live, one JSON document at the end. */
export type DemoOutput = 'tty' | 'plain' | 'json';

export interface DemoResult {
  db: string;
  state: DemoState;
  stored: DemoStored;
  durationMs: number;
  /** False when the demo stopped before its fires were handled (Ctrl-C, or its own 50 s bound). */
  finished: boolean;
}

/** The demo's own bound: whatever happens, it closes the warden after this long. */
const DEMO_LIMIT_MS = 50_000;
const CHUNKS_PER_RUN = Math.ceil(DEMO_POINTS / 5);

/**
 * The postmortem end to end: the demo job on a schedule on the SQLite store `db`, until
 * `DEMO_FIRES` fires are handled and their runs ended; then the summary from the store.
 * Writes its progress and report to stdout (except in `json` mode, where the caller prints the result).
 */
export async function runDemo(db: string, output: DemoOutput): Promise<DemoResult> {
  const t0 = Date.now();
  const out = (lines: string[]) => {
    if (output !== 'json') process.stdout.write(`${lines.join('\n')}\n`);
  };
  out(intro(db));
  const logger = pino({ level: process.env['WARDEN_LOG_LEVEL'] ?? 'silent' }, pino.destination(2));
  const warden = createWarden({ store: `sqlite:${db}`, logger });
  warden.defineJob(demoJob());
  const state = initialDemoState();
  let nextFire = { fireAt: t0 + DEMO_EVERY_MS, n: 1 };
  const screen = output === 'tty' ? new TtyScreen(process.stdout) : undefined;
  const redraw = () => screen?.draw(ttyFrame(state, Date.now(), state.fires < DEMO_FIRES ? nextFire : undefined, CHUNKS_PER_RUN));
  const ticker = screen ? setInterval(redraw, 100) : undefined;
  ticker?.unref();
  process.once('exit', () => screen?.end());

  let settle: (finished: boolean) => void = () => {};
  const done = new Promise<boolean>((resolve) => (settle = resolve));
  const onEvent = (e: DemoEvent) => {
    applyDemoEvent(state, e, t0);
    if ('scheduledAt' in e) nextFire = { fireAt: e.scheduledAt + DEMO_EVERY_MS, n: state.fires + 1 };
    if (output === 'plain') out([plainLine(e, state)]);
    redraw();
    if (state.fires >= DEMO_FIRES && state.runs.every((r) => r.summary)) settle(true);
  };
  listen(warden, t0, onEvent);
  const bound = setTimeout(() => settle(false), DEMO_LIMIT_MS);
  const interrupt = () => settle(false); // Ctrl-C: stop the runs, then report what happened so far
  process.once('SIGINT', interrupt);

  redraw();
  await warden.start();
  const finished = await done;
  clearTimeout(bound);
  process.off('SIGINT', interrupt);
  await warden.close({ graceMs: 0 });
  if (ticker) clearInterval(ticker);
  redraw();
  screen?.end();

  const stored = readBack(db);
  out(demoReport(state, stored, db, finished));
  return { db, state, stored, durationMs: Date.now() - t0, finished };
}

function intro(db: string): string[] {
  const b = DEMO_BUDGETS;
  return [
    `Warden demo: the postmortem's yearly grid batch, every ${DEMO_EVERY_MS / 1000} s instead of every year (${DEMO_FIRES} runs).`,
    `Job ${DEMO_JOB}: ${DEMO_POINTS} grid points per run on 2 supervised worker threads, chunks of 5.`,
    `Budgets: task ${b.taskMs} ms (heartbeat ${b.heartbeatMs} ms), chunk ${b.chunkMs / 1000} s, batch ${b.batchMs / 1000} s, job ${b.jobMs / 1000} s; ` +
      `circuit: ${DEMO_CIRCUIT.threshold} connection errors in a row, ${DEMO_CIRCUIT.cooldownMs / 1000} s cool-down.`,
    'Run 1: two tasks get a database connection that is already closed and await it forever; one point has bad data.',
    'Run 2: the database goes down three quarters of the way through: every query is refused (ECONNREFUSED).',
    'Run 3: the database is back.',
    `Store: ${db}`,
    '',
  ];
}

/** Turns the warden's events into demo events (`at`: ms since the demo started). */
function listen(warden: Warden, t0: number, emit: (e: DemoEvent) => void): void {
  const at = () => Date.now() - t0;
  warden.on('run.started', (e) => emit({ type: 'run.started', at: at(), runId: e.runId, scheduledAt: e.scheduledAt.getTime() }));
  warden.on('chunk.ended', (e) => emit({ type: 'chunk.ended', at: at(), runId: e.runId, index: e.index, size: e.size, succeeded: e.succeeded, deadLettered: e.deadLettered, failed: e.failed, timedOut: e.timedOut }));
  warden.on('task.deadLettered', (e) => emit({ type: 'task.deadLettered', at: at(), runId: e.runId, letter: e.letter }));
  warden.on('worker.restarted', (e) => emit({ type: 'worker.restarted', at: at(), runId: e.runId, slot: e.slot }));
  warden.on('circuit.opened', (e) => emit({ type: 'circuit.opened', at: at(), runId: e.runId, failures: e.failures }));
  warden.on('circuit.closed', () => emit({ type: 'circuit.closed', at: at() }));
  warden.on('run.finished', (e) => emit({ type: 'run.finished', at: at(), runId: e.runId, summary: e.summary }));
  warden.on('run.skipped', (e) => emit({ type: 'run.skipped', at: at(), scheduledAt: e.scheduledAt.getTime(), reason: e.reason }));
  warden.on('run.missed', (e) => emit({ type: 'run.missed', at: at(), scheduledAt: e.scheduledAt.getTime() }));
}

/** The runs and dead letters as the store file has them, read back with a read-only connection. */
function readBack(db: string): DemoStored {
  const store = openSqliteStore(db, { readonly: true });
  try {
    return { runs: store.runs.list({ jobId: DEMO_JOB }), letters: store.deadLetters.list({ jobId: DEMO_JOB, limit: 1000 }).items };
  } finally {
    store.close();
  }
}
