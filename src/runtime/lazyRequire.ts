import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded on first use, not when the package is imported: a host that
 * only calls `runBatch` does not pay for the store's or the metrics' libraries (together
 * about 10 MB of resident memory). The type comes from an `import type` of the package.
 */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}
