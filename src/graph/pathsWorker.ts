/** Worker-thread entry of pathFeaturesParallel: one slice of candidate rows, answered once, columns transferred. */
import { parentPort, workerData } from 'node:worker_threads';
import { Graph } from './csr.js';
import { pathFeatureColumns } from './paths.js';
import type { PathsReply, PathsWorkerInit } from './pathsParallel.js';

const init = workerData as PathsWorkerInit;
const port = parentPort;
if (!port) throw new Error('pathsWorker.js must run in a worker thread');
let reply: PathsReply;
let transfer: ArrayBuffer[] = [];
try {
  const g = new Graph(init.n, init.offsets, init.targets, new Uint32Array(0));
  const columns = pathFeatureColumns(g, init.users, init.rowOffsets, init.cand);
  reply = { ok: true, columns };
  transfer = Object.values(columns).map((c) => c.buffer as ArrayBuffer);
} catch (e) {
  reply = { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}
port.postMessage(reply, transfer);
