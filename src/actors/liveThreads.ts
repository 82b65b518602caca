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

/** Resolves once every thread created by Warden in this process has exited (a stuck thread may take as long as its native call). */
export function whenThreadsExited(): Promise<void> {
  const pending = [...live].map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
  return Promise.all(pending).then(() => undefined);
}
