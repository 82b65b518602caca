/** Marker that survives duplicate copies of the package (checked by `code`, never by `instanceof`). */
const WARDEN = Symbol.for('warden.error');

/** Base of every error Warden throws or records. `code` names the failure kind. */
export class WardenError extends Error {
  readonly code: string;
  readonly [WARDEN] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True when `err` carries `code`, whichever copy of Warden created it. */
export function hasErrorCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
