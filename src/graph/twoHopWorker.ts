/**
 * Worker-thread entry of twoHopParallel: computes ranges of users with one TwoHopGenerator over the shared
 * graph and transfers each range's columns back (sized to fit, so nothing is copied on the way).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Graph } from './csr.js';
import { HEURISTIC_NAMES, type HeuristicName } from './heuristics.js';
import { TwoHopGenerator } from './twoHop.js';
import type { CandidateRange, RangeReply, RangeRequest, WorkerInit } from './twoHopParallel.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('twoHopWorker.js must run in a worker thread');
const g = new Graph(init.n, init.offsets, init.targets, new Uint32Array(0));
const gen = new TwoHopGenerator(g, { ...init.opts, exclude: init.exclude ?? undefined });
// Reused range buffers: a range holds at most rangeSize × topN entries (the generator's buffers hold topN).
const cap = init.rangeSize * gen.cand.length;
const cand = new Int32Array(cap);
const score = new Float32Array(cap);
const features = Object.fromEntries(HEURISTIC_NAMES.map((h) => [h, new Float32Array(cap)])) as Record<HeuristicName, Float32Array>;

port.on('message', ({ lo, hi }: RangeRequest) => {
  let reply: RangeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const counts = new Int32Array(hi - lo);
    let pos = 0;
    for (let u = lo; u < hi; u++) {
      if (init.only && init.only[u] === 0) continue; // counts[u - lo] stays 0
      const k = gen.run(u);
      counts[u - lo] = k;
      cand.set(gen.cand.subarray(0, k), pos);
      score.set(gen.score.subarray(0, k), pos);
      for (const h of HEURISTIC_NAMES) features[h].set(gen.features[h].subarray(0, k), pos);
      pos += k;
    }
    const out = { cand: cand.slice(0, pos), score: score.slice(0, pos) };
    const feats = HEURISTIC_NAMES.map((h) => features[h].slice(0, pos));
    const range: CandidateRange = {
      lo,
      hi,
      counts,
      ...out,
      features: Object.fromEntries(HEURISTIC_NAMES.map((h, i) => [h, feats[i]])) as Record<HeuristicName, Float32Array>,
    };
    reply = { ok: true, range };
    transfer = [counts.buffer, out.cand.buffer, out.score.buffer, ...feats.map((f) => f.buffer)];
  } catch (e) {
    reply = { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply, transfer);
});
