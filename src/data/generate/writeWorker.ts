/**
 * Writes one dataset file on a worker thread, so files are written while the main thread still simulates
 * (users.jsonl during growth) or writes another file (events.jsonl next to connections.csv).
 * `writeInWorker(job)` runs on the main thread; the rest of this module runs when loaded as the worker.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { EdgeTable, EventTable } from '../../core/tables.js';
import { writeConnections, writeEvents, writeProfiles, type ProfileColumns } from './write.js';

export type WriteJob =
  | { kind: 'profiles'; path: string; data: ProfileColumns }
  | { kind: 'connections'; path: string; data: EdgeTable }
  | { kind: 'events'; path: string; data: EventTable };

/**
 * Writes the job's file on a new worker thread (its columns are copied there). The returned promise is
 * already marked as handled, so it may be awaited later, after other work, without an unhandled rejection.
 */
export function writeInWorker(job: WriteJob): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writing ${job.path} failed (worker exit ${code})`))));
  });
  done.catch(() => undefined);
  return done;
}

async function runJob(job: WriteJob): Promise<void> {
  if (job.kind === 'profiles') await writeProfiles(job.path, job.data);
  else if (job.kind === 'connections') await writeConnections(job.path, job.data);
  else await writeEvents(job.path, job.data);
}

if (!isMainThread && parentPort && (workerData as WriteJob | undefined)?.kind) {
  await runJob(workerData as WriteJob);
}
