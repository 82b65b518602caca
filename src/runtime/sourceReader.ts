/**
 * Reads a sync or async iterable one item at a time, never two reads at once, so the
 * engine can take a chunk and later drain the rest without racing a pending read.
 */
export class SourceReader<I> {
  private readonly it: Iterator<I> | AsyncIterator<I>;
  private pending: Promise<IteratorResult<I>> | undefined;
  readonly isAsync: boolean;
  /** No more reads: the source ended, threw, or was closed. */
  done = false;
  /** The source itself said it has no more items. */
  exhausted = false;

  constructor(source: Iterable<I> | AsyncIterable<I>) {
    const asyncFn = (source as AsyncIterable<I>)[Symbol.asyncIterator];
    this.isAsync = typeof asyncFn === 'function';
    this.it = this.isAsync ? asyncFn.call(source) : (source as Iterable<I>)[Symbol.iterator]();
  }

  /** Next item of a sync source, with no promise in the way (the hot path for arrays and generators). */
  nextSync(): IteratorResult<I> {
    if (this.done) return { done: true, value: undefined };
    try {
      const r = (this.it as Iterator<I>).next();
      if (r.done) this.done = this.exhausted = true;
      return r;
    } catch (err) {
      this.done = true;
      throw err;
    }
  }

  /** Next item, waiting for a read already under way first. */
  async next(): Promise<IteratorResult<I>> {
    if (!this.isAsync) return this.nextSync();
    while (this.pending) await this.pending.catch(() => undefined);
    if (this.done) return { done: true, value: undefined };
    const p = (this.it as AsyncIterator<I>).next();
    this.pending = p;
    try {
      const r = await p;
      if (r.done) this.done = this.exhausted = true;
      return r;
    } catch (err) {
      this.done = true;
      throw err;
    } finally {
      this.pending = undefined;
    }
  }

  /** Lets the source clean up (its `finally` blocks run); errors from it are ignored. */
  close(): void {
    if (this.done) return;
    this.done = true;
    try {
      const r = this.it.return?.();
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).catch(() => undefined);
    } catch {
      // a source that fails while closing has nothing more to give
    }
  }
}
