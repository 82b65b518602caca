import type { Logger } from 'pino';
import { InterruptedError } from '../errors/InterruptedError.js';
import type { StoredRun } from '../store/types.js';
import type { DeadLetter } from './deadLetter.js';
import type { JobSpec } from './jobSpec.js';
import { SourceReader } from './sourceReader.js';
import type { TypedEmitter } from './typedEmitter.js';
import type { WardenEvents } from './wardenEvents.js';
import type { WardenStorage } from './wardenStorage.js';

export interface LetterInterruptedInput<I> {
  jobId: string;
  spec: JobSpec<I>;
  /** The run a dead host left unfinished. */
  run: StoredRun;
  /** Source positions the run (and the runs it resumed) settled. */
  skip: (position: number) => boolean;
  storage: WardenStorage;
  events: TypedEmitter<WardenEvents>;
  /** The letters' failure time (wall-clock ms). */
  now: number;
  log: Logger;
}

/**
 * The `onInterrupted: 'dead-letter'` policy: reads the job's source again and hands every
 * task the run did not settle to the store's writer as an `interrupted` dead letter (and to
 * `task.deadLettered`). Returns how many. A source that throws leaves the rest pending
 * (logged); the caller writes the run's end behind these letters.
 */
export async function letterInterrupted<I>(o: LetterInterruptedInput<I>): Promise<number> {
  const st = o.storage;
  const keyOf = o.spec.key ?? ((_: I, i: number) => String(i));
  const at = new Date(o.now);
  const error = new InterruptedError(`the host running run ${o.run.id} (${o.run.host}) died before this task ended`);
  const serialized = { name: error.name, message: error.message, code: error.code };
  const reader = new SourceReader<I>(o.spec.source());
  let n = 0;
  try {
    for (let p = 0; ; p++) {
      const r = reader.isAsync ? await reader.next() : reader.nextSync();
      if (r.done) break;
      if (o.skip(p)) continue;
      let key: string;
      try {
        key = keyOf(r.value, p);
      } catch {
        key = `#${p}`;
      }
      const letter: DeadLetter<I> = { key, index: p, input: r.value, reason: 'interrupted', error: serialized, attempts: 0, firstFailedAt: at, lastFailedAt: at };
      st.attempt('write dead letter', () => st.writer.add({ jobId: o.jobId, runId: o.run.id, letter }), undefined);
      o.events.emit('task.deadLettered', { jobId: o.jobId, runId: o.run.id, letter });
      n++;
    }
  } catch (err) {
    o.log.error({ err, runId: o.run.id }, 'the source threw while the interrupted run was dead-lettered: the rest stays pending');
  } finally {
    reader.close();
  }
  return n;
}
