import { resolve } from 'node:path';
import { OptionError } from '../errors/OptionError.js';
import { describe } from './validate.js';

/** How a commit reaches the disk: `'full'` (the default) survives a power loss; `'normal'` survives a process crash. */
export type StoreSynchronous = 'full' | 'normal';

/** A SQLite store with its settings. */
export interface SqliteStoreSettings {
  /** The database file (created if missing). */
  sqlite: string;
  /**
   * `'full'` (default): every commit is on disk when it returns (an fsync of the WAL each), so
   * it survives a power loss. `'normal'`: the WAL is synced at checkpoints only; a power loss
   * (not a process crash) may lose the last commits, never the file's integrity.
   */
  synchronous?: StoreSynchronous | undefined;
}

/** Where a warden keeps its runs, progress and dead letters. */
export type StoreOption = 'memory' | `sqlite:${string}` | SqliteStoreSettings;

/** The default store when `createWarden` is given none: `WARDEN_STORE`, else `./warden.db`. */
export const DEFAULT_STORE = 'sqlite:./warden.db';

/** A store option resolved: the SQLite path (`:memory:` for `'memory'`, else absolute) and its settings. */
export interface ResolvedStore {
  path: string;
  synchronous: StoreSynchronous;
}

const fileOf = (path: string): string => (path === ':memory:' ? path : resolve(path));

/** Turns the `store` option into a SQLite path and its settings; throws OptionError naming the field. */
export function resolveStore(option: unknown): ResolvedStore {
  const value = option ?? process.env['WARDEN_STORE'] ?? DEFAULT_STORE;
  if (value === 'memory') return { path: ':memory:', synchronous: 'full' };
  if (typeof value === 'string' && value.startsWith('sqlite:') && value.length > 'sqlite:'.length) {
    return { path: fileOf(value.slice('sqlite:'.length)), synchronous: 'full' };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o['sqlite'] !== 'string' || o['sqlite'] === '') {
      throw new OptionError('options.store.sqlite', `must be the database file's path (got ${describe(o['sqlite'])})`, "pass { sqlite: './warden.db' }");
    }
    const synchronous = o['synchronous'] ?? 'full';
    if (synchronous !== 'full' && synchronous !== 'normal') {
      throw new OptionError('options.store.synchronous', `must be 'full' or 'normal' (got ${describe(synchronous)})`, "leave it out for 'full', the default");
    }
    const unknown = Object.keys(o).filter((k) => k !== 'sqlite' && k !== 'synchronous');
    if (unknown.length > 0) throw new OptionError(`options.store.${unknown[0]}`, 'is not a store setting', 'the settings are sqlite and synchronous');
    return { path: fileOf(o['sqlite']), synchronous };
  }
  throw new OptionError('options.store', `must be 'memory', 'sqlite:<file>' or { sqlite: <file>, synchronous } (got ${describe(value)})`, "pass 'sqlite:./warden.db'");
}
