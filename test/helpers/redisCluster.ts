/**
 * Starts a real Redis Cluster for tests: `masters` redis-server processes with --cluster-enabled on free
 * ports, joined with `redis-cli --cluster create`, in a temp folder; stop() kills exactly those processes
 * and removes the folder. Also: a check that a Redis answers at host:port. Every wait for a started process is
 * bounded (a count of 50 ms polls, each PING with a 2 s timeout).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCluster {
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

/** Why a Redis cluster cannot be started here, or null when the binaries are there. */
export async function clusterUnavailable(): Promise<string | null> {
  try {
    await run('redis-server', ['--version']);
    await run('redis-cli', ['--version']);
    return null;
  } catch {
    return 'redis-server / redis-cli not installed';
  }
}

/** Whether a Redis answers PING at host:port (polled while a started redis-server comes up). */
export async function redisAnswers(port = 6379, host = '127.0.0.1'): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-h', host, '-p', String(port), 'ping'], { timeout: 2000 });
    return stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port p such that p and its cluster bus port p + 10000 are both free. */
async function freePort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 30000);
    if (!taken.has(p) && (await portFree(p)) && (await portFree(p + 10000))) return p;
  }
  throw new Error('no free port pair for a Redis cluster node');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A private, throw-away redis-server (no persistence) on a free port; stop() kills it. */
export async function startRedis(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-redis-'));
  const port = await freePort(new Set());
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' });
  const kill = (): void => void p.kill('SIGKILL');
  process.once('exit', kill);
  for (let t = 0; !(await redisAnswers(port)); t++) {
    if (t > 100) {
      kill();
      throw new Error(`redis-server on port ${port} did not start`);
    }
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      process.removeListener('exit', kill);
      await new Promise<void>((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) return resolve();
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
        setTimeout(() => p.kill('SIGKILL'), 3000).unref();
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startCluster(masters = 3): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-cluster-'));
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
            setTimeout(() => p.kill('SIGKILL'), 3000).unref();
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const killOnExit = (): void => procs.forEach((p) => p.kill('SIGKILL'));
  process.once('exit', killOnExit);
  try {
    const taken = new Set<number>();
    for (let i = 0; i < masters; i++) {
      const port = await freePort(taken);
      taken.add(port);
      ports.push(port);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)];
      args.push('--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning');
      procs.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const p of ports) {
      for (let t = 0; !(await redisAnswers(p)); t++) {
        if (t > 100) throw new Error(`redis-server on port ${p} did not start`);
        await sleep(50);
      }
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30000 });
    for (const p of ports) {
      for (let t = 0; ; t++) {
        const { stdout } = await run('redis-cli', ['-p', String(p), 'cluster', 'info'], { timeout: 2000 });
        if (/cluster_state:ok/.test(stdout)) break;
        if (t > 200) throw new Error(`cluster node ${p} never reached cluster_state:ok`);
        await sleep(50);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    async stop() {
      process.removeListener('exit', killOnExit);
      await stop();
    },
  };
}
