import type { Worker } from 'node:worker_threads';

const live = new Set<Worker>();

/** Records a thread from its creation until its 'exit' event: the proof a terminated thread is gone. */
export function trackThread(worker: Worker): void {
  live.add(worker);
  worker.once('exit', () => live.delete(worker));
}

/** Worker threads created by Warden in this process whose 'exit' has not been seen yet. */
export function liveThreadCount(): number {
  return live.size;
}
