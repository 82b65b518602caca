// The light entry point for task modules (`import { defineTask, FatalError } from 'warden/task'`):
// it pulls in no XState and no pino, so a worker starts fast.
export { defineTask, type TaskContext, type TaskFunction } from './taskContext.js';
export { FatalError, isFatalError } from './errors/FatalError.js';
export { UnrecoverableError, isUnrecoverableError } from './errors/UnrecoverableError.js';
