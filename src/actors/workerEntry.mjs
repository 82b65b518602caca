// The code that runs inside each worker thread. Plain JavaScript on purpose: Node 20
// cannot load TypeScript in a Worker by itself, and this file must work unchanged from
// src/ (tests) and from dist/ (the published package). Type-checked through JSDoc.
// The protocol itself lives in serveTasks.mjs, shared with the process entry.
import { parentPort, workerData } from 'node:worker_threads';
import { serveTasks } from './serveTasks.mjs';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { moduleUrl } = /** @type {{ moduleUrl: string }} */ (workerData);

await serveTasks(moduleUrl, {
  post: (m) => port.postMessage(m),
  listen: (onMessage) => port.on('message', onMessage),
});
