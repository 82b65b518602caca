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

/**
 * The default `circuit.trips`: a connection-type error code, or a task timeout (a
 * dependency that hangs, like the postmortem's dead connection, fails by timeouts).
 */
export function defaultTrips(error: SerializedError): boolean {
  if (error.code === undefined) return false;
  const code = String(error.code);
  return code === 'ERR_WARDEN_TASK_TIMEOUT' || CONNECTION_ERROR_CODES.has(code);
}
