/**
 * Appends `item`; past `cap` items, drops the oldest one that `keep` does not protect. The
 * inspector queues keep every actor registration (an inspector cannot show an actor whose
 * registration it never got; there are a few per run) and drop the oldest events instead.
 */
export function pushBounded<T>(queue: T[], item: T, cap: number, keep: (t: T) => boolean): void {
  queue.push(item);
  if (queue.length <= cap) return;
  const i = queue.findIndex((t) => !keep(t));
  if (i >= 0) queue.splice(i, 1);
}
