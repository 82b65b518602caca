import type { WardenClock } from '../runtime/clock.js';
import { processRss } from './processRss.js';

/** How often a capped worker process's resident memory is read. */
export const MEMORY_CHECK_MS = 100;

const MB = 1024 * 1024;

/**
 * Reads the resident memory of process `pid` every MEMORY_CHECK_MS and calls `onOver`
 * (once) when it is above `capMb`. Memory outside the V8 heap (Buffers, ArrayBuffers,
 * native allocations) counts too. Returns the function that stops watching.
 */
export function watchProcessMemory(pid: number, capMb: number, clock: WardenClock, onOver: (rssBytes: number) => void): () => void {
  let stopped = false;
  let timer: unknown;
  const arm = () => {
    timer = clock.setTimeout(async () => {
      const rss = await processRss(pid);
      if (stopped) return;
      if (rss !== undefined && rss > capMb * MB) {
        stopped = true;
        onOver(rss);
        return;
      }
      arm();
    }, MEMORY_CHECK_MS);
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
