/** Real `pymk` processes for the freshness benchmarks: CLI runs, servers on one store and log, background load. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const CLI = 'dist/src/cli/main.js';

/** Runs `pymk args…` to completion; throws when it fails. */
export function runPymk(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`pymk ${args.join(' ')} failed (${r.status})`);
}

/**
 * A generated world of `users` (seed 7) and its bundle (pipeline --no-embed), under /tmp, made once and
 * reused by later runs: { bundle, data } folders.
 */
export function worldBundle(users: number): { bundle: string; data: string } {
  const root = `/tmp/pymk-bench-fresh-${users}`;
  const bundle = join(root, 'bundle');
  const data = join(root, 'data');
  if (!existsSync(join(data, 'world.json'))) runPymk(['generate', '--users', String(users), '--seed', '7', '--out', data]);
  if (!existsSync(join(bundle, 'manifest.json'))) runPymk(['pipeline', '--data', data, '--out', bundle, '--no-embed']);
  return { bundle, data };
}

/** `pymk serve` on `port` (with `extra` flags and environment) once its /readyz answers. */
export async function startServer(port: number, args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), ...args], {
    env: { ...process.env, PYMK_LOG_LEVEL: 'warn', PYMK_SHUTDOWN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server on ${port} did not become ready`);
}

/** The value at percentile p of xs (nearest rank), 2 decimals. */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100;
};

/** POSTs one event (or a batch) to a server; throws unless the log acknowledged it (202). */
export async function postEvent(port: number, body: unknown): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 202) throw new Error(`POST /v1/events: ${r.status} ${await r.text()}`);
}

export interface LoadResult {
  sent: number;
  failed: number;
  reqPerSec: number;
}

/** Background GETs of random users u0…u(users-1) at `rate` req/s over the ports until stopped; counts answers and failures. */
export function backgroundLoad(ports: number[], users: number, rate: number): { stop: () => Promise<LoadResult> } {
  let sent = 0;
  let failed = 0;
  let stop = false;
  const start = performance.now();
  const loop = async (): Promise<void> => {
    while (!stop) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      const batch: Promise<void>[] = [];
      while (sent < due) {
        const port = ports[sent % ports.length];
        const u = `u${(Math.imul(sent + 1, 2654435761) >>> 0) % users}`;
        sent++;
        batch.push(fetch(`http://127.0.0.1:${port}/v1/users/${u}/recommendations?limit=10`).then((r) => void (r.ok || r.status === 404 || failed++), () => void failed++));
      }
      await Promise.all(batch);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const done = loop();
  return {
    stop: async () => {
      stop = true;
      await done;
      const seconds = (performance.now() - start) / 1000;
      return { sent, failed, reqPerSec: Math.round(sent / seconds) };
    },
  };
}
