import type { DeadLetterReason } from '../../src/machines/deadLetterReason.js';
import { fateText, takesAtLeast, type Fate } from './schedule.js';
import type { Moment, Observation, RunObs } from './harness.js';

/** One invariant: the violations it finds in an observation (none: it holds). */
export type Check = (o: Observation) => string[];

const after = (a: Moment, b: Moment) => a.at > b.at || (a.at === b.at && a.order > b.order);

/** The batch's own stop bound (batchEngine.ts, `stopMs`): killGraceMs + 2 × terminateMs + 1 s. */
export function stopBoundMs(o: Observation): number {
  const c = o.schedule.config;
  return c.killGraceMs + 2 * c.terminateMs + 1000;
}

/** Host stall time inside [from, to]: timers fire that much late, so every bound moves by it. */
function stallWithin(o: Observation, from: number, to: number): number {
  let ms = 0;
  for (const s of o.stalls) if (s.to > from && s.from <= to) ms += s.to - s.from;
  return ms;
}

/**
 * 1. Every run ends, no later than its budget plus the stop bound. Its budget is the
 * first of: start + min(batchMs, jobMs), and close() + graceMs (close aborts it then).
 * The stop bound is the code's documented slack (README "Stopping takes at most
 * killGraceMs + 2 × terminateMs + 1 s"; batch machine `stopping` after `stopMs`).
 * Stronger still: `stopping` ends because every worker stopped, never by its backstop
 * timer; and the job's release backstop (run.released) is never needed.
 */
export const runsEnd: Check = (o) => {
  const c = o.schedule.config;
  const out: string[] = [];
  for (const r of o.runs) {
    if (!r.ended) {
      out.push(`${r.runId} never ended`);
      continue;
    }
    let budgetEnd = r.started.at + Math.min(c.batchMs, c.jobMs);
    if (o.closeCalled) budgetEnd = Math.min(budgetEnd, Math.max(r.started.at, o.closeCalled.at) + o.closeCalled.graceMs);
    const bound = budgetEnd + stopBoundMs(o) + stallWithin(o, r.started.at, r.ended.at);
    if (r.ended.at > bound) out.push(`${r.runId} ended at ${r.ended.at}, past its bound ${bound} (started ${r.started.at})`);
    // (a host stall fires every timer late, the backstop among them, before the exits it waits for)
    const stalled = stallWithin(o, r.started.at, r.ended.at) > 0;
    if (r.stopBackstop && !stalled) out.push(`${r.runId}: the batch's stop backstop fired (a worker did not stop within its own bound)`);
  }
  for (const rel of o.released) {
    const r = o.runs.find((x) => x.runId === rel.runId);
    const stalled = r ? stallWithin(o, r.started.at, rel.at) > 0 : false;
    if (!stalled) out.push(`${rel.runId}: the job's release backstop freed its slot (the run never reported its end)`);
  }
  return out;
};

/** 2. Instances never exceed maxInstances and return to 0; close() resolves; nothing hangs or leaks. */
export const instances: Check = (o) => {
  const c = o.schedule.config;
  const out: string[] = [];
  if (o.hung) out.push(`hung: ${o.hung}`);
  if (o.maxInstances > c.maxInstances) out.push(`instances reached ${o.maxInstances} > maxInstances ${c.maxInstances}`);
  if (!o.closeResolved) out.push('close() never resolved');
  else {
    if (o.instancesAtEnd !== 0) out.push(`instances after close(): ${o.instancesAtEnd}`);
    const { closeCalled } = o;
    if (closeCalled) {
      const bound = closeCalled.at + closeCalled.graceMs + stopBoundMs(o) + stallWithin(o, closeCalled.at, o.closeResolved.at);
      if (o.closeResolved.at > bound) out.push(`close() resolved at ${o.closeResolved.at}, past ${bound}`);
    }
    for (const r of o.runs) if (closeCalled && after(r.started, closeCalled)) out.push(`${r.runId} started after close()`);
  }
  for (const n of o.runNows) if (!n.settled) out.push(`runNow() at ${n.at} never settled`);
  if (o.timersLeft > 0) out.push(`${o.timersLeft} timer(s) of the code under test left pending after close()`);
  if (o.liveThreadsAtEnd > 0) out.push(`${o.liveThreadsAtEnd} simulated thread(s) never exited`);
  for (const r of o.runs) {
    if (r.stopBackstop) continue; // (runsEnd says whether it may fire) threads are then left to exit
    if (r.liveThreadsAtEnd > r.stuck) out.push(`${r.runId} ended with ${r.liveThreadsAtEnd} live thread(s) but reported ${r.stuck} stuck`);
  }
  for (const m of o.badLogs) out.push(`error log: ${m}`);
  return out;
};

/** 3. succeeded + deadLettered + pending = total, every key read accounted for exactly once. */
export const accounting: Check = (o) => {
  const out: string[] = [];
  for (const r of o.runs) {
    const s = r.summary;
    if (!s) continue; // run.failed: the batch could not start (checked by `reasons`)
    const read = r.log?.keysRead ?? [];
    if (s.succeeded + s.deadLettered + s.pending !== s.total) out.push(`${r.runId}: ${s.succeeded} + ${s.deadLettered} + ${s.pending} ≠ ${s.total}`);
    if (s.total !== read.length) out.push(`${r.runId}: total ${s.total}, but ${read.length} input(s) were read`);
    if (s.pending !== 0) out.push(`${r.runId}: pending ${s.pending} without a store`);
    if (r.letters.length !== s.deadLettered) out.push(`${r.runId}: ${r.letters.length} dead letter(s) delivered, summary says ${s.deadLettered}`);
    const byReason = new Map<string, number>();
    const seen = new Set<string>();
    for (const { letter } of r.letters) {
      if (seen.has(letter.key)) out.push(`${r.runId}: ${letter.key} dead-lettered twice`);
      seen.add(letter.key);
      if (read[letter.index] !== letter.key) out.push(`${r.runId}: dead letter ${letter.key} has index ${letter.index}, which is ${read[letter.index] ?? 'nothing'}`);
      byReason.set(letter.reason, (byReason.get(letter.reason) ?? 0) + 1);
    }
    for (const [reason, n] of Object.entries(s.byReason)) {
      if ((byReason.get(reason) ?? 0) !== n) out.push(`${r.runId}: byReason.${reason} = ${n}, letters say ${byReason.get(reason) ?? 0}`);
    }
    // a key counted as a success must have succeeded in a thread
    const okKeys = new Set((r.log?.ends ?? []).filter((e) => e.ok).map((e) => e.key));
    const succeeded = read.filter((k) => !seen.has(k));
    for (const k of succeeded) if (!okKeys.has(k)) out.push(`${r.runId}: ${k} counted as succeeded, but no attempt of it succeeded`);
  }
  return out;
};

/** The run stop reasons that end unfinished tasks with each dead-letter reason (a store's resume reasons never occur here). */
const STOP_REASONS: Partial<Record<DeadLetterReason, ReadonlyArray<string | undefined>>> = {
  'circuit-open': ['circuit-open'],
  'batch-timeout': ['batch-timeout'],
  'job-timeout': ['job-timeout'],
  aborted: ['aborted', 'fatal-error', 'early-chunk-failed', 'restart-intensity', 'source-error'],
};

/**
 * 4. Each dead letter's reason matches the fault of its last attempt: `timeout` for a hang
 * (or an attempt slower than taskMs), `error` for a throw, `crash` for a crash, the stop's
 * own reason for a task ended from outside. Retryable failures (timeout, crash, a data or
 * connection error) are dead-lettered only after every attempt. And each run's own
 * outcome has its cause: run.failed only for a task module that cannot load, fatal-error
 * only after a FatalError, job-timeout only after run.timeout, aborted only after close().
 */
export const reasons: Check = (o) => {
  const c = o.schedule.config;
  const out: string[] = [];
  for (const r of o.runs) {
    const log = r.log;
    if (r.failed !== undefined) {
      // a thread that fails to load while the run starts (before any thread is ready) fails the run
      const loadFailed = (o.schedule.starts[(log?.n ?? 0) - 1] ?? []).some((st) => st.kind === 'loadFailed');
      if (!loadFailed) out.push(`${r.runId}: run.failed (${String(r.failed)}), but no thread failed to load`);
      continue;
    }
    const s = r.summary;
    if (!s || !log) continue;
    const starts = log.starts;
    // the run's stop reason has its cause
    if (s.reason === 'fatal-error' && !starts.some((t) => t.fate.kind === 'throw' && t.fate.error === 'fatal')) out.push(`${r.runId}: fatal-error, but no task threw FatalError`);
    if (s.reason === 'job-timeout' && !r.timedOut) out.push(`${r.runId}: job-timeout without run.timeout`);
    if (s.reason === 'circuit-open' && !r.circuitOpened) out.push(`${r.runId}: circuit-open without circuit.opened`);
    if (s.reason === 'aborted' && !o.closeCalled) out.push(`${r.runId}: aborted, but close() was never called`);
    if (s.reason === 'early-chunk-failed' && !r.chunks.some((ch) => ch.failed && ch.index < c.earlyChunks)) out.push(`${r.runId}: early-chunk-failed without a failed early chunk`);
    if (s.reason === undefined && !s.sourceExhausted) out.push(`${r.runId}: ended without a stop reason, before its source was done`);

    for (const { letter, at } of r.letters) {
      const where = `${r.runId}: ${letter.key} dead-lettered ${letter.reason} after ${letter.attempts} attempt(s)`;
      const started = starts.filter((t) => t.key === letter.key);
      const last = started.find((t) => t.attempt === letter.attempts);
      const fate: Fate | undefined = last?.fate;
      const retryable = () => {
        if (letter.attempts !== c.attempts) out.push(`${where}: a retryable failure, with ${c.attempts} attempt(s) allowed`);
      };
      switch (letter.reason) {
        case 'timeout': {
          if (!last || !fate) {
            out.push(`${where}: that attempt never started in a thread`);
            break;
          }
          // A deadline counts from the hand-over (the latency before the thread starts it). A
          // host stall fires every timer late at once: a heartbeat or ping window can expire
          // before the messages that would have renewed it are read, so any attempt it
          // overlaps may time out. A wall-clock jump moves no deadline (they are on the clock's
          // monotonic reading).
          const stalled = stallWithin(o, last.at, at) > 0;
          const slack = 2 * c.latencyMs;
          if (!stalled && !takesAtLeast(fate, c.taskMs - slack)) out.push(`${where}: its fate ${fateText(fate)} ends before taskMs ${c.taskMs}`);
          retryable();
          break;
        }
        case 'error':
          if (!fate || fate.kind !== 'throw') out.push(`${where}: its fate ${fate ? fateText(fate) : '(never started)'} does not throw`);
          else if (fate.error === 'data' || fate.error === 'trip') retryable();
          break;
        case 'crash':
          if (!fate || fate.kind !== 'crash') out.push(`${where}: its fate ${fate ? fateText(fate) : '(never started)'} does not crash`);
          retryable();
          break;
        case 'chunk-timeout': {
          const chunk = Math.floor(letter.index / c.chunkSize);
          if (!r.chunks.some((ch) => ch.index === chunk && ch.timedOut)) out.push(`${where}: chunk ${chunk} did not time out`);
          break;
        }
        default: {
          const allowed = STOP_REASONS[letter.reason] ?? [];
          if (!allowed.includes(s.reason)) out.push(`${where}: the run stopped for ${s.reason ?? 'no reason'}`);
        }
      }
      // A task ended from outside (a stop) may have just started in its thread, unseen: the
      // thread ran on to it while the stop was on its way (at most that one attempt).
      const unseen = ['timeout', 'error', 'crash'].includes(letter.reason) ? 0 : 1;
      if (started.some((t) => t.attempt > letter.attempts + unseen)) out.push(`${where}: a later attempt started in a thread`);
      if (started.some((t) => t.attempt > c.attempts)) out.push(`${where}: more than ${c.attempts} attempt(s) started`);
    }
  }
  return out;
};

/** 5. An open circuit stops dispatch: no task is handed to a thread after the run's circuit opened. */
export const circuit: Check = (o) => {
  const out: string[] = [];
  for (const r of o.runs) {
    const opened = r.circuitOpened;
    if (!opened || !r.log) continue;
    const late = r.log.handovers.filter((h) => after(h, opened));
    if (late.length > 0) out.push(`${r.runId}: ${late.reduce((n, h) => n + h.seqs.length, 0)} task(s) handed over after the circuit opened at ${opened.at}`);
  }
  return out;
};

/** 6. No fire is skipped for max-instances unless maxInstances runs hold their slots. */
export const skips: Check = (o) => {
  const c = o.schedule.config;
  const out: string[] = [];
  for (const s of o.skipped) {
    if (s.reason === 'max-instances' && (s.active < c.maxInstances || s.instances < c.maxInstances)) {
      out.push(`fire ${s.scheduledAt.getTime()} skipped for max-instances at ${s.at} with ${s.active} run(s) active, ${s.instances} slot(s) held`);
    }
    if (s.reason === 'circuit-open' && !o.runs.some((r) => r.summary?.reason === 'circuit-open' && r.ended && after(s, r.ended))) {
      out.push(`fire ${s.scheduledAt.getTime()} skipped for circuit-open at ${s.at}, but no run had ended circuit-open`);
    }
  }
  return out;
};

/** The writer's flush interval (StoreWriter's default `flushMs`): rows wait at most this long for a flush. */
export const FLUSH_MS = 50;

/**
 * 7. Store write failures (storeFails windows) are reported, never lose what was handed over
 * while the process lives, and never leave a wrong row:
 * - every refused write is reported by one `store.failed` at that instant (the probe of health
 *   excepted: health itself reports it), and every `store.failed` is a refused write (the
 *   simulated error: no real store failure ever);
 * - health is not ok, for a store reason, while writes fail; once they work again it stops
 *   reporting the store within one flush interval (the rows a failed flush kept are written);
 * - the store holds each dead letter delivered (`task.deadLettered`) at most once, with its
 *   reason and attempts; all of them unless the close's own last flush was refused (rows are
 *   left unwritten only then);
 * - a chunk recorded settled never lacks one of its letters, and its counts are the letters';
 * - a run's row exists unless its start write was refused; it is ended with the run's status
 *   once a writer transaction after the run's end committed, and says `running` until then
 *   (docs/storage.md); a row that says the run ended never lacks one of the run's letters.
 */
export const store: Check = (o) => {
  const out: string[] = [];
  const ops = o.storeOps;
  // every refusal reported, every report a refusal
  const refused = ops.filter((x) => x.refused && x.operation !== 'probe');
  for (const f of o.storeFailed) {
    if (!f.simulated) out.push(`store.failed (${f.operation}) at ${f.at} for a real store error (${String(f.code)})`);
    if (!o.storeWindows.some((w) => w.from <= f.at && f.at < w.to)) out.push(`store.failed (${f.operation}) at ${f.at}, outside every failure window`);
  }
  if (refused.length !== o.storeFailed.length) out.push(`${refused.length} store write(s) refused, ${o.storeFailed.length} store.failed event(s)`);
  else refused.forEach((x, i) => {
    const f = o.storeFailed[i]!;
    if (f.at !== x.at || f.order < x.order) out.push(`the ${x.operation} refused at ${x.at} is reported by store.failed (${f.operation}) at ${f.at}`);
  });
  // health
  for (const h of o.health) {
    const storeReason = !h.ok && /store/.test(h.reason ?? '');
    if (h.failing && !storeReason) out.push(`health at ${h.at}, while store writes fail: ${h.ok ? 'ok' : h.reason}`);
    if (!h.failing && storeReason) {
      const ended = o.storeWindows.filter((w) => w.to <= h.at).reduce((m, w) => Math.max(m, w.to), -Infinity);
      const bound = ended + FLUSH_MS + stallWithin(o, ended, h.at);
      if (h.at > bound) out.push(`health at ${h.at} still says "${h.reason}", though writes work again since ${ended}`);
    }
  }
  const st = o.stored;
  if (!st) return out; // close() never resolved: `instances` says so
  if (st.unwritten > 0 && !st.lastFlushRefused) out.push(`${st.unwritten} row(s) left unwritten at close, though its last flush was not refused`);
  // letters: stored ⊆ delivered, once each; = delivered when nothing was left unwritten
  const delivered = new Map<string, { reason: string; attempts: number; index: number }>();
  for (const r of o.runs) for (const { letter } of r.letters) delivered.set(`${r.runId} ${letter.key}`, letter);
  const storedKeys = new Set<string>();
  for (const l of st.letters) {
    const k = `${l.runId} ${l.key}`;
    if (storedKeys.has(k)) out.push(`${k}: stored twice`);
    storedKeys.add(k);
    const d = delivered.get(k);
    if (!d) out.push(`${k}: stored, never delivered`);
    else if (d.reason !== l.reason || d.attempts !== l.attempts || d.index !== l.index) out.push(`${k}: stored ${l.reason}/${l.attempts}/#${l.index}, delivered ${d.reason}/${d.attempts}/#${d.index}`);
  }
  if (st.unwritten === 0) for (const k of delivered.keys()) if (!storedKeys.has(k)) out.push(`${k}: delivered, not in the store after close`);
  // settled chunks: never without one of their letters, counts = letters
  const c = o.schedule.config;
  for (const ch of st.chunks) {
    const r = o.runs.find((x) => x.runId === ch.runId);
    const where = `${ch.runId} chunk ${ch.chunk}`;
    if (!r) {
      out.push(`${where}: stored for an unknown run`);
      continue;
    }
    const letters = r.letters.filter(({ letter }) => Math.floor(letter.index / c.chunkSize) === ch.chunk);
    if (ch.deadLettered !== letters.length) out.push(`${where}: stored with ${ch.deadLettered} dead letter(s), ${letters.length} delivered`);
    if (ch.succeeded + ch.deadLettered !== ch.size) out.push(`${where}: ${ch.succeeded} + ${ch.deadLettered} ≠ size ${ch.size}`);
    for (const { letter } of letters) if (!storedKeys.has(`${ch.runId} ${letter.key}`)) out.push(`${where}: recorded settled without its letter ${letter.key}`);
  }
  // run rows: the last run write tried before run.started is its start write; its end goes
  // through the writer (the last `end run` before the run's end), in the first writer
  // transaction after it that was not refused, with the run's last letters
  const lastBefore = (operation: string, m: Moment) => {
    let w: (typeof ops)[number] | undefined;
    for (const x of ops) if (x.operation === operation && !after(x, m)) w = x;
    return w;
  };
  for (const r of o.runs) {
    const row = st.runs.find((x) => x.id === r.runId);
    const start = lastBefore('write run', r.started);
    if (!start || start.at !== r.started.at) out.push(`${r.runId}: no run write as it started`);
    else if (start.refused) {
      if (row) out.push(`${r.runId}: its start write was refused, yet it has a row`);
      continue;
    }
    if (!row) {
      out.push(`${r.runId}: no row, though its start write was not refused`);
      continue;
    }
    if (!r.ended) continue; // runsEnd says so
    const end = lastBefore('end run', r.ended);
    const status = r.summary?.status ?? 'failed';
    if (!end || end.at !== r.ended.at || (start && after(start, end))) {
      out.push(`${r.runId}: its end was not handed to the writer as it ended`);
      continue;
    }
    const committed = ops.find((x) => x.operation === 'write rows' && !x.refused && after(x, end));
    if (!committed && row.status !== 'running') out.push(`${r.runId}: no writer transaction after its end was committed, yet its row says ${row.status}`);
    else if (committed && (row.status !== status || row.endedAt === null)) out.push(`${r.runId}: ended ${status}, its row says ${row.status} (ended_at ${row.endedAt})`);
    if (row.status !== 'running') {
      for (const { letter } of r.letters) if (!storedKeys.has(`${r.runId} ${letter.key}`)) out.push(`${r.runId}: its row says ${row.status}, but its letter ${letter.key} is not in the store`);
    }
  }
  for (const row of st.runs) if (!o.runs.some((r) => r.runId === row.id)) out.push(`${row.id}: a row for a run never started`);
  return out;
};

export const ALL_CHECKS: Record<string, Check> = { runsEnd, instances, accounting, reasons, circuit, skips, store };

/** Throws with every violation found (and the run in question), or returns. */
export function assertInvariants(o: Observation): void {
  const found: string[] = [];
  for (const [name, check] of Object.entries(ALL_CHECKS)) for (const v of check(o)) found.push(`[${name}] ${v}`);
  if (found.length > 0) throw new Error(`${found.length} invariant violation(s):\n  ${found.slice(0, 20).join('\n  ')}`);
}

/** For failure reports: a run's story in a line. */
export function runText(r: RunObs): string {
  const s = r.summary;
  return `${r.runId} ${r.started.at}→${r.ended?.at ?? '∞'} ${s ? `${s.status}/${s.reason ?? '-'} ${s.succeeded}+${s.deadLettered}/${s.total}` : 'failed'}`;
}
