import type { C1 as C1Value, Packr as PackrClass } from 'msgpackr';
import { lazyRequire } from '../runtime/lazyRequire.js';
import { StorePayloadError } from '../errors/StorePayloadError.js';

/** Default cap on a stored input's size, checked before decoding (1 MiB). */
export const DEFAULT_MAX_INPUT_BYTES = 1024 * 1024;

// Self-contained blobs: no shared record structures, so every row decodes on its own.
// BigInts of any size round-trip (msgpackr's bigint extension).
// msgpackr is loaded with the first input stored or read back.
const msgpackr = lazyRequire<{ C1: typeof C1Value; Packr: typeof PackrClass }>('msgpackr');
let packer: PackrClass | undefined;
const packr = (): PackrClass => (packer ??= new (msgpackr().Packr)({ useRecords: false, useBigIntExtension: true }));

/** The stored form of an input; `error` is set (and `bytes` empty) when it cannot be encoded. */
export interface EncodedInput {
  bytes: Buffer;
  error: string | null;
}

export function encodeInput(input: unknown): EncodedInput {
  try {
    return { bytes: packr().pack(input), error: null };
  } catch (err) {
    return { bytes: Buffer.alloc(0), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** A stored input given back: the value, or the reason it cannot be (that row only). */
export type StoredInput<I = unknown> = { ok: true; input: I } | { ok: false; error: StorePayloadError };

/** The error for an input too large to decode, decided from its size alone (the blob is not read). */
export function oversized(size: number, limit: number): StoredInput<never> {
  return {
    ok: false,
    error: new StorePayloadError(
      'oversized',
      size,
      limit,
      `stored input is ${size} bytes, over the ${limit}-byte decode cap: raise maxInputBytes to read it`,
    ),
  };
}

/** Decodes a stored input. Never throws: a bad blob becomes `{ ok: false }`. */
export function decodeInput<I = unknown>(blob: unknown, encodeError: string | null, limit: number): StoredInput<I> {
  const size = Buffer.isBuffer(blob) ? blob.length : typeof blob === 'string' ? Buffer.byteLength(blob) : 0;
  if (encodeError !== null) {
    return {
      ok: false,
      error: new StorePayloadError('unencodable', size, limit, `the input could not be stored: ${encodeError}`),
    };
  }
  if (size > limit) return oversized(size, limit);
  if (!Buffer.isBuffer(blob) || blob.length === 0) {
    return {
      ok: false,
      error: new StorePayloadError('corrupt', size, limit, `stored input is not a msgpack blob (${blob === null ? 'null' : typeof blob})`),
    };
  }
  try {
    const input: unknown = packr().unpack(blob);
    if (input === msgpackr().C1) throw new Error('0xc1 is not a msgpack value');
    return { ok: true, input: input as I };
  } catch (err) {
    return {
      ok: false,
      error: new StorePayloadError(
        'corrupt',
        size,
        limit,
        `stored input (${size} bytes) is not valid msgpack: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      ),
    };
  }
}
