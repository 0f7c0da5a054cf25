/**
 * A shard process: opens its part of the index (the spec in PYMK_ANN_SHARD) and answers the line
 * protocol on 127.0.0.1. Started by launch.ts with child_process.fork; it reports its port over the IPC
 * channel and exits when that channel closes, so a dead parent never leaves shards behind.
 */
import { createServer, type Socket } from 'node:net';
import { isPymkError } from '../../core/errors.js';
import { openSpec, type OpenSpec } from '../open.js';
import type { VectorIndex } from '../types.js';
import { f32, readLines, SHARD_ARG, toWire, type ShardReply, type ShardRequest } from './protocol.js';

export interface ShardConfig {
  shard: number;
  spec: OpenSpec;
  /** Port to listen on (0 = any free one). */
  port?: number;
}

function handle(index: VectorIndex, m: ShardRequest): unknown {
  switch (m.op) {
    case 'search':
      return toWire(index.search(f32(m.q), { k: m.k, exclude: m.ex }));
    case 'batch':
      return index.searchBatch(f32(m.q), { k: m.k, excludes: m.exs }).map(toWire);
    case 'vector': {
      const v = index.vector(m.user);
      return v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : null;
    }
    case 'upsert':
      index.upsert(m.user, f32(m.v));
      return null;
    case 'remove':
      return index.remove(m.user);
    case 'size':
      return index.size();
  }
}

/** Serves one index on a TCP port; resolves with the port once listening. */
export function serveShard(index: VectorIndex, port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    readLines(socket, (line) => {
      let reply: ShardReply;
      let id = -1;
      try {
        const m = JSON.parse(line) as ShardRequest;
        id = m.id;
        reply = { id, ok: true, value: handle(index, m) };
      } catch (e) {
        reply = { id, ok: false, code: isPymkError(e) ? e.code : 'PYMK_INTERNAL', message: e instanceof Error ? e.message : String(e) };
      }
      socket.write(JSON.stringify(reply) + '\n');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[process.argv.indexOf(SHARD_ARG) + 1] ?? 'null') as ShardConfig | null;
  if (!config || !process.send) throw new Error(`run a shard through launch.ts (it needs ${SHARD_ARG} <config> and an IPC channel)`);
  const index = openSpec(config.spec);
  const { port } = await serveShard(index, config.port ?? 0);
  process.send({ type: 'ready', shard: config.shard, port, size: index.size() });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes(SHARD_ARG)) {
  main().catch((e) => {
    process.send?.({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  });
}
