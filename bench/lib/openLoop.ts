/**
 * An open-loop load generator: requests at a constant rate, evenly spaced (request i is due at start + i/rate),
 * whatever the server does, each one's latency measured from when it was due, not from when it was sent.
 * A slow answer therefore delays the requests queued behind it and they count it (no coordinated omission),
 * as wrk2 measures; the generator's own lag counts too, so the figures are conservative.
 *
 * autocannon's `overallRate` is not this: it gives each connection a budget per second, which the
 * connections spend at full speed as each second starts and then wait — a closed-loop burst every second —
 * and it corrects for coordinated omission with a 1 ms expected interval, adding samples to every slow
 * answer. Its p99 "at 500 req/s" is the tail of those bursts.
 */
import { Agent, request } from 'node:http';

export interface OpenLoopOptions {
  port: number;
  host?: string;
  /** Requests per second, evenly spaced. */
  rate: number;
  seconds: number;
  /** The path of each request, asked when it is due. */
  path: () => string;
  /** Keep-alive connections at most; requests due while all are busy wait for one (and that wait counts). */
  connections?: number;
}

export interface OpenLoopResult {
  /** Requests answered per second of the run (every request due in the run is waited for, up to 10 s after it). */
  requestsPerSec: number;
  p50ms: number;
  p99ms: number;
  p999ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** How late the generator issued requests behind their due time, p99 (ms): its own share of the latency. */
  sendLagP99ms: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections ?? 64 });
  const latencies: number[] = [];
  const lags: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  const total = Math.round(o.rate * o.seconds);
  const interval = 1000 / o.rate;
  const start = performance.now();
  let issued = 0;

  const send = (due: number): void => {
    inFlight++;
    lags.push(performance.now() - due);
    const req = request({ host: o.host ?? '127.0.0.1', port: o.port, path: o.path(), agent }, (res) => {
      res.resume();
      res.on('end', () => {
        inFlight--;
        latencies.push(performance.now() - due);
        if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) non2xx++;
      });
    });
    req.on('error', () => {
      inFlight--;
      errors++;
    });
    req.end();
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (issued < total && start + issued * interval <= now) send(start + issued++ * interval);
      if (issued < total) setTimeout(tick, Math.max(0, start + issued * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  // Every request due in the run is waited for: dropping the last, slowest ones would flatter the tail.
  const deadline = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  agent.destroy();

  latencies.sort((x, y) => x - y);
  lags.sort((x, y) => x - y);
  return {
    requestsPerSec: Math.round(latencies.length / o.seconds),
    p50ms: round2(quantile(latencies, 0.5)),
    p99ms: round2(quantile(latencies, 0.99)),
    p999ms: round2(quantile(latencies, 0.999)),
    maxMs: round2(latencies[latencies.length - 1] ?? 0),
    requests: latencies.length,
    non2xx,
    errors,
    sendLagP99ms: round2(quantile(lags, 0.99)),
  };
}
