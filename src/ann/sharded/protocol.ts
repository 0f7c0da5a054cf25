/**
 * The shard wire protocol: one JSON object per line over TCP (loopback here, any network in production).
 * Vectors and results travel as base64 of their little-endian bytes, so floats round-trip exactly.
 *
 *   request   { id, op: 'search', q, k, ex? } | { id, op: 'batch', q, k, exs? } | { id, op: 'vector', user }
 *             | { id, op: 'upsert', user, v } | { id, op: 'remove', user } | { id, op: 'size' }
 *   reply     { id, ok: true, value } | { id, ok: false, code, message }
 *             search value: { ids, d } (base64 int32 / float32); batch value: [{ ids, d }]; vector value: v | null
 */
import type { Socket } from 'node:net';
import type { Hits } from '../types.js';

export type ShardRequest =
  | { id: number; op: 'search'; q: string; k: number; ex?: number[] }
  | { id: number; op: 'batch'; q: string; k: number; exs?: (number[] | undefined)[] }
  | { id: number; op: 'vector'; user: number }
  | { id: number; op: 'upsert'; user: number; v: string }
  | { id: number; op: 'remove'; user: number }
  | { id: number; op: 'size' };

export type ShardReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: string; message: string };

export interface WireHits {
  ids: string;
  d: string;
}

export const b64 = (a: Float32Array | Int32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export function f32(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.length / 4);
  Buffer.from(out.buffer).set(b);
  return out;
}

export function i32(s: string): Int32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Int32Array(b.length / 4);
  Buffer.from(out.buffer).set(b);
  return out;
}

export const toWire = (h: Hits): WireHits => ({ ids: b64(h.ids), d: b64(h.distances) });
export const fromWire = (w: WireHits): Hits => ({ ids: i32(w.ids), distances: f32(w.d) });

/** Calls `onLine` with each complete line received on the socket. */
export function readLines(socket: Socket, onLine: (line: string) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line) onLine(line);
    }
  });
}

/** The shard that owns a user id. */
export const shardOf = (id: number, shards: number): number => id % shards;

/** The command-line flag that hands a shard process its configuration (JSON) from launch.ts. */
export const SHARD_ARG = '--pymk-ann-shard';
