/**
 * `/metrics` under `pymk serve --workers N`. The processes share one port, so a scrape lands on one of them
 * at random; each would show only its own counts. Instead the process that answers asks the primary, which
 * gathers every process's registry over the cluster's IPC channel (prom-client's AggregatorRegistry) and
 * sends back one exposition. Every series carries a `worker` label (the cluster worker id), so per-process
 * figures, event-loop delay first of all, stay apart, and `sum without (worker) (...)` gives the server's.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Metrics } from './metrics.js';

const ASK = 'pymk:metrics?';
const ANSWER = 'pymk:metrics=';
/** How long a process waits for the primary's gathered metrics before answering with its own. */
export const GATHER_TIMEOUT_MS = 3000;

interface Ask {
  type: typeof ASK;
  n: number;
}
interface Answer {
  type: typeof ANSWER;
  n: number;
  text?: string;
  error?: string;
}

/** In the primary: answer the processes' requests for the gathered metrics. */
export function gatherWorkerMetrics(): void {
  const registry = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, msg: Ask) => {
    if (msg?.type !== ASK) return;
    registry.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: ANSWER, n: msg.n, text } satisfies Answer),
      (err: Error) => worker.isConnected() && worker.send({ type: ANSWER, n: msg.n, error: err.message } satisfies Answer),
    );
  });
}

/**
 * In a worker: label this process's series and serve the gathered metrics at /metrics. When the primary
 * does not answer in time, the process's own metrics are served (still labelled, so nothing is mixed up).
 */
export function shareWorkerMetrics(metrics: Metrics): void {
  if (!cluster.isWorker || !cluster.worker || !process.send) return;
  metrics.registry.setDefaultLabels({ worker: String(cluster.worker.id) });
  new AggregatorRegistry(); // installs the listener that answers the primary's gathering requests
  AggregatorRegistry.setRegistries([metrics.registry]);
  let next = 0;
  const waiting = new Map<number, (a: Answer) => void>();
  process.on('message', (msg: Answer) => {
    if (msg?.type === ANSWER) waiting.get(msg.n)?.(msg);
  });
  metrics.expose(
    () =>
      new Promise<string>((resolve) => {
        const n = next++;
        const own = (): void => {
          waiting.delete(n);
          void metrics.registry.metrics().then(resolve);
        };
        const timer = setTimeout(own, GATHER_TIMEOUT_MS);
        waiting.set(n, (a) => {
          clearTimeout(timer);
          waiting.delete(n);
          if (a.text !== undefined) resolve(a.text);
          else own();
        });
        process.send!({ type: ASK, n } satisfies Ask);
      }),
  );
}
