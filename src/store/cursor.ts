import { OptionError } from '../errors/OptionError.js';

/** Keyset cursor: the last id of the previous page, opaque to callers. */
export function encodeCursor(lastId: number): string {
  return Buffer.from(`dl:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const m = /^dl:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m?.[1]) throw new OptionError('cursor', `is not a cursor from deadLetters.list (${JSON.stringify(cursor)})`, 'pass the `cursor` of the previous page, or none for the first page');
  return Number(m[1]);
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new OptionError('limit', `must be an integer from 1 to ${MAX_LIMIT} (got ${String(limit)})`, `pass a page size such as ${DEFAULT_LIMIT}`);
  }
  return limit;
}
