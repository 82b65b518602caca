import { resolve } from 'node:path';
import { OptionError } from '../errors/OptionError.js';
import { describe } from './validate.js';

/** Where a warden keeps its runs, progress and dead letters. */
export type StoreOption = 'memory' | `sqlite:${string}`;

/** The default store when `createWarden` is given none: `WARDEN_STORE`, else `./warden.db`. */
export const DEFAULT_STORE = 'sqlite:./warden.db';

/** Turns the `store` option into a SQLite path (`:memory:` for `'memory'`), absolute for a file. */
export function resolveStorePath(option: unknown): string {
  const value = option ?? process.env['WARDEN_STORE'] ?? DEFAULT_STORE;
  if (value === 'memory') return ':memory:';
  if (typeof value === 'string' && value.startsWith('sqlite:') && value.length > 'sqlite:'.length) {
    const path = value.slice('sqlite:'.length);
    return path === ':memory:' ? path : resolve(path);
  }
  throw new OptionError('options.store', `must be 'memory' or 'sqlite:<file>' (got ${describe(value)})`, "pass 'sqlite:./warden.db'");
}
