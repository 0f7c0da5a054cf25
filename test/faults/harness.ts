/**
 * The fault suite's real processes: a redis-server that can be killed and restarted on its port (with its
 * dump or empty), `pymk serve` as a child process, a TCP proxy that injects latency, a closed-loop load
 * generator that records every answer, and the summary the suite asserts on and commits
 * (bench/results/faults/ when PYMK_FAULTS_OUT is set: `npm run faults`).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quickBundle } from '../helpers/quickBundle.js';
import { redisAnswers } from '../helpers/redisCluster.js';
import { waitFor } from '../helpers/waitFor.js';

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Sizes: small for `npm test`; `npm run faults` sets the acceptance's (20k users, 30 s, 16 connections). */
export const FAULTS = {
  users: Number(process.env.PYMK_FAULTS_USERS ?? 2000),
  seconds: Number(process.env.PYMK_FAULTS_SECONDS ?? 12),
  connections: Number(process.env.PYMK_FAULTS_CONNECTIONS ?? 16),
  out: process.env.PYMK_FAULTS_OUT ?? null,
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A generated world run through the default pipeline (short training), as `root/bundle`. */
export async function worldBundle(root: string, users: number, seed = 11): Promise<string> {
  return quickBundle(root, 'bundle', users, seed);
}

/** A redis-server on a fixed port that can be killed (SIGKILL) and started again, from `dir` (its dump) or empty. */
export class RedisProcess {
  private proc: ChildProcess | null = null;
  constructor(
    readonly port: number,
    private dir: string,
  ) {}

  async start(dir = this.dir): Promise<void> {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' });
    await waitFor(() => redisAnswers(this.port), { what: `redis-server on ${this.port}`, everyMs: 25 });
  }

  /**
   * Writes the dump, so a restart from the same folder comes back with the data: BGSAVE, then waits until it
   * finished. Not SAVE, and not a synchronous exec: either would stall the load (Redis's, or this process's
   * load generator) for the seconds the dump takes, and the suite would measure that instead of the fault.
   */
  async save(): Promise<void> {
    const cli = (...args: string[]): Promise<string> => execFileAsync('redis-cli', ['-p', String(this.port), ...args]).then((r) => r.stdout);
    const before = (await cli('LASTSAVE')).trim();
    await cli('BGSAVE');
    await waitFor(async () => (await cli('LASTSAVE')).trim() !== before && /rdb_bgsave_in_progress:0/.test(await cli('INFO', 'persistence')), { what: 'BGSAVE done', everyMs: 50, timeoutMs: 60_000 });
  }

  kill(): void {
    this.proc?.kill('SIGKILL');
    this.proc = null;
  }
}

/** `pymk serve` in a child process; resolves once /readyz answers 200. */
export async function startServe(args: string[], env: Record<string, string> = {}): Promise<{ base: string; proc: ChildProcess; log: () => string; stop(): Promise<void> }> {
  const port = await freePort();
  let log = '';
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', String(port), ...args], { env: { ...process.env, PYMK_LOG_LEVEL: 'warn', PYMK_SHUTDOWN_DELAY_MS: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (c: Buffer) => void (log += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => void (log += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`pymk serve exited ${proc.exitCode}: ${log}`);
      return fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
    },
    { what: 'pymk serve ready', everyMs: 100, timeoutMs: 60_000 },
  );
  return {
    base,
    proc,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** A TCP proxy to a port whose added one-way latency can be changed while connections are open. */
export class DelayProxy {
  delayMs = 0;
  private readonly server: TcpServer;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {
    this.server = createTcpServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // In order, as TCP is: a chunk never overtakes one still held back (when the delay drops to 0, the
      // bytes held go first). Reordered bytes would corrupt the RESP stream — a fault no network makes.
      const relay = (from: Socket, to: Socket): void => {
        const held: { due: number; chunk: Buffer }[] = [];
        const flush = (): void => {
          while (held.length && held[0].due <= performance.now()) {
            const { chunk } = held.shift()!;
            if (to.writable) to.write(chunk);
          }
          if (held.length) setTimeout(flush, Math.max(0, held[0].due - performance.now()));
        };
        from.on('data', (chunk: Buffer) => {
          if (this.delayMs === 0 && held.length === 0) return void to.write(chunk);
          const due = Math.max(performance.now() + this.delayMs, held.at(-1)?.due ?? 0);
          held.push({ due, chunk });
          if (held.length === 1) setTimeout(flush, due - performance.now());
        });
      };
      relay(client, upstream);
      relay(upstream, client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface Sample {
  /** ms since the load started, when the answer arrived. */
  t: number;
  status: number;
  /** The answer's path (full, local-static, …), or null for a non-JSON / error answer. */
  path: string | null;
  ms: number;
}

/** `connections` closed loops of GET recommendations for random users, until stop(). */
export function closedLoop(base: string, users: string[], connections: number): { t0: number; samples: readonly Sample[]; stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  const t0 = performance.now();
  let running = true;
  let seq = 0;
  const loop = async (): Promise<void> => {
    while (running) {
      const u = users[(Math.imul(++seq, 2654435761) >>> 0) % users.length];
      const s = performance.now();
      let status = 0;
      let path: string | null = null;
      try {
        const r = await fetch(`${base}/v1/users/${encodeURIComponent(u)}/recommendations?limit=10`);
        status = r.status;
        const body = (await r.json()) as { path?: string };
        path = body.path ?? null;
      } catch {
        status = status || -1; // no answer at all (connection refused or reset): counted as an error
      }
      const e = performance.now();
      samples.push({ t: e - t0, status, path, ms: e - s });
    }
  };
  const loops = Array.from({ length: connections }, loop);
  return {
    t0,
    /** The answers so far (the run goes on adding to it). */
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

export interface Summary {
  answers: number;
  by: { status: Record<string, number>; path: Record<string, number> };
  fiveXx: number;
  /** Whole seconds of the run in which no request completed. */
  emptySeconds: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
}

export function summarize(samples: Sample[], from = 0, to = Infinity): Summary {
  const inWindow = samples.filter((s) => s.t >= from && s.t < to);
  const status: Record<string, number> = {};
  const path: Record<string, number> = {};
  const seconds = new Set<number>();
  for (const s of inWindow) {
    status[s.status] = (status[s.status] ?? 0) + 1;
    if (s.path) path[s.path] = (path[s.path] ?? 0) + 1;
    seconds.add(Math.floor(s.t / 1000));
  }
  const last = inWindow.length ? Math.floor(Math.min(to, Math.max(...inWindow.map((s) => s.t))) / 1000) : 0;
  let emptySeconds = 0;
  for (let sec = Math.floor(from / 1000); sec < last; sec++) if (!seconds.has(sec)) emptySeconds++;
  const ms = inWindow.map((s) => s.ms).sort((a, b) => a - b);
  return {
    answers: inWindow.length,
    by: { status, path },
    fiveXx: inWindow.filter((s) => s.status >= 500 || s.status < 0).length,
    emptySeconds,
    p50ms: Math.round(pct(ms, 50) * 10) / 10,
    p99ms: Math.round(pct(ms, 99) * 10) / 10,
    maxMs: Math.round((ms[ms.length - 1] ?? 0) * 10) / 10,
  };
}

/** ms after `since` until answers are full-path again: the first 500-ms window from then on that is ≥ 95% full. */
export function fullServiceAfter(samples: readonly Sample[], since: number): number | null {
  const after = samples.filter((s) => s.t >= since);
  for (let w = since; w < (after.at(-1)?.t ?? since); w += 250) {
    const win = after.filter((s) => s.t >= w && s.t < w + 500);
    if (win.length >= 5 && win.filter((s) => s.path === 'full').length >= 0.95 * win.length) return Math.round(w - since);
  }
  return null;
}

/** Writes a scenario's result to bench/results/faults/<name>.json when the suite runs as `npm run faults`. */
export function record(name: string, result: Record<string, unknown>): void {
  if (!FAULTS.out) return;
  mkdirSync(FAULTS.out, { recursive: true });
  writeFileSync(join(FAULTS.out, `${name}.json`), `${JSON.stringify({ scenario: name, ...FAULTS, out: undefined, ...result }, null, 2)}\n`);
}
