import type { SerializedError } from '../machines/workerProtocol.js';

/** Error codes that say "the dependency is down", not "this input is bad". */
export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'EAI_AGAIN',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection failures
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** The default `circuit.trips`: a connection-type error code. */
export function defaultTrips(error: SerializedError): boolean {
  return error.code !== undefined && CONNECTION_ERROR_CODES.has(String(error.code));
}
