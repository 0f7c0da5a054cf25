/**
 * `pymk merge`: assembles the bundle of a run split across machines (docs/pipeline.md#split-across-machines)
 * from the shared snapshot (ingest, graph, embed, ann, rank) and the N partition bundles (candidates, pair
 * features, static lists for their users). It checks first that every partition 0..N-1 is there exactly
 * once, split the same way, over this snapshot and with the same parameters, and that no partition holds
 * rows of users it does not own; then it builds the bundle with the runner (atomic, like any run): the
 * snapshot's stages adopted (files hard-linked, or copied across file systems), each per-user artifact
 * assembled block by block from the blocks' owners. The result equals the single-process bundle artifact
 * for artifact.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ARTIFACTS, CANDIDATE_COLUMNS, LIST_COLUMNS, PAIR_EXTRA_COLUMNS } from '../bundle/artifacts.js';
import type { ColumnSpec } from '../bundle/binary.js';
import { openBundle, type Bundle } from '../bundle/bundle.js';
import { ColumnStreamWriter } from '../bundle/columnStream.js';
import { stableJson, type StageRecord } from '../bundle/manifest.js';
import { PymkError } from '../core/errors.js';
import type { LogFn, ProgressMode } from '../core/progress.js';
import { linkOrCopy } from './files.js';
import { blockOwners, describePartition, parsePartition, type Partition } from './partition.js';
import { runPipeline, type RunInput, type RunResult } from './runner.js';
import type { Stage, StageContext } from './stage.js';
import { defaultStages, PER_USER_STAGES, type PipelineParams } from './stages/index.js';

export interface MergeOptions {
  snapshot: string;
  parts: readonly string[];
  out: string;
  log?: LogFn;
  progress?: ProgressMode;
}

/** A bundle as a run input: identified by its version (which hashes its artifacts) and fingerprint. */
export function bundleInput(dir: string): RunInput {
  return {
    label: dir,
    size: async () => 0,
    async fingerprint() {
      const m = (await openBundle(dir)).manifest;
      const bytes = Object.values(m.artifacts).reduce((a, r) => a + r.bytes, 0);
      const sha256 = createHash('sha256').update(`${m.version}\n${m.fingerprint}`).digest('hex');
      return { path: dir, kind: 'dir', bytes, files: Object.keys(m.artifacts).length, sha256 };
    },
  };
}

interface Part {
  bundle: Bundle;
  partition: Partition;
}

/** The per-user stages' artifacts: what to merge, and which offsets delimit a user's rows. */
const MERGED: Record<string, { artifact: string; spec: ColumnSpec; rowsBy: 'own' | 'candidates' }> = {
  candidates: { artifact: ARTIFACTS.candidates, spec: CANDIDATE_COLUMNS, rowsBy: 'own' },
  'pair-features': { artifact: ARTIFACTS.pairExtra, spec: PAIR_EXTRA_COLUMNS, rowsBy: 'candidates' },
  lists: { artifact: ARTIFACTS.lists, spec: LIST_COLUMNS, rowsBy: 'own' },
};

export async function mergePartitions(o: MergeOptions): Promise<RunResult> {
  const snap = await openBundle(o.snapshot);
  const snapInput = await bundleInput(o.snapshot).fingerprint();
  const parts: Part[] = [];
  for (const dir of o.parts) {
    const bundle = await openBundle(dir);
    parts.push({ bundle, partition: partitionOf(bundle) });
  }
  const ordered = checkParts(parts, snap, snapInput.sha256);
  const params = snap.manifest.params as PipelineParams;
  const n = snap.manifest.stages.find((s) => s.name === 'graph')?.metrics.users;
  if (typeof n !== 'number') throw new PymkError('PYMK_BUNDLE_INVALID', `${o.snapshot}: the snapshot's graph stage records no user count`);
  const owners = blockOwners(n, ordered[0].partition);
  const offsetsCache = new Map<Bundle, Int32Array>();
  const stages: Stage[] = defaultStages(params).map((s) => {
    if (PER_USER_STAGES.includes(s.name)) return mergedStage(s.name, ordered, owners, n, offsetsCache);
    const rec = snap.stage(s.name);
    if (!rec) throw new PymkError('PYMK_BUNDLE_INVALID', `${o.snapshot}: the snapshot has no stage '${s.name}' (its params call for it)`);
    return adoptedStage(snap, rec);
  });
  const inputs: Record<string, RunInput> = { snapshot: bundleInput(o.snapshot) };
  ordered.forEach((p, i) => (inputs[`part-${i}`] = bundleInput(p.bundle.dir)));
  return runPipeline({ out: o.out, stages, inputs, params: snap.manifest.params, log: o.log, progress: o.progress });
}

function partitionOf(b: Bundle): Partition {
  const p = b.schema.partition as Partial<Partition> | undefined;
  try {
    if (!p) throw new Error('no schema.partition');
    return parsePartition(`${p.index}/${p.count}`, String(p.by), p.block);
  } catch (e) {
    throw new PymkError('PYMK_BAD_INPUT', `${b.dir}: not a partition bundle (${(e as Error).message}; build it with pymk pipeline --snapshot … --partition i/N)`);
  }
}

/** Every partition exactly once, one split, one snapshot, one set of params; returns the parts by index. */
function checkParts(parts: Part[], snap: Bundle, snapSha: string): Part[] {
  if (parts.length === 0) throw new PymkError('PYMK_BAD_PARAM', 'merge needs the partition bundles');
  const { count, by } = parts[0].partition;
  for (const p of parts) {
    if (p.partition.count !== count || p.partition.by !== by || p.partition.block !== parts[0].partition.block) {
      throw new PymkError('PYMK_BAD_INPUT', `${p.bundle.dir} is partition ${describePartition(p.partition)}, but ${parts[0].bundle.dir} is ${describePartition(parts[0].partition)}: one run, one split`);
    }
    if (p.bundle.manifest.inputs.snapshot?.sha256 !== snapSha) {
      throw new PymkError('PYMK_BAD_INPUT', `${p.bundle.dir} was built over another snapshot than ${snap.dir} (version ${snap.version})`);
    }
    if (stableJson(p.bundle.manifest.params) !== stableJson(snap.manifest.params)) {
      throw new PymkError('PYMK_BAD_INPUT', `${p.bundle.dir} was built with other parameters than the snapshot ${snap.dir}`);
    }
  }
  const byIndex = new Map<number, Part[]>();
  for (const p of parts) byIndex.set(p.partition.index, [...(byIndex.get(p.partition.index) ?? []), p]);
  const twice = [...byIndex].filter(([, ps]) => ps.length > 1);
  if (twice.length > 0) {
    const list = twice.map(([i, ps]) => `${i}/${count} in ${ps.map((p) => p.bundle.dir).join(' and ')}`).join('; ');
    throw new PymkError('PYMK_BAD_INPUT', `partitions given more than once: ${list}`);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new PymkError('PYMK_BAD_INPUT', `partitions missing: ${missing.map((i) => `${i}/${count}`).join(', ')} (of ${count}, by ${by})`);
  return Array.from({ length: count }, (_, i) => byIndex.get(i)![0]);
}

/** A snapshot stage taken over as it is: files linked (or copied), its schema and metrics kept. */
function adoptedStage(snap: Bundle, rec: StageRecord): Stage {
  return {
    name: rec.name,
    version: rec.version,
    async run(ctx) {
      for (const a of rec.artifacts) {
        await linkOrCopy(join(snap.dir, a), ctx.path(a));
        await ctx.addFile(a, snap.manifest.artifacts[a].kind);
      }
      for (const [k, v] of Object.entries(rec.schema)) ctx.setSchema(k, v);
      return { ...rec.metrics, adoptedFrom: snap.version };
    },
  };
}

/** A per-user stage assembled from the parts: each block's rows from the block's owner. */
function mergedStage(name: string, parts: Part[], owners: Int32Array, n: number, cache: Map<Bundle, Int32Array>): Stage {
  const what = MERGED[name];
  const records = parts.map((p) => {
    const rec = p.bundle.stage(name);
    if (rec?.status !== 'done') throw new PymkError('PYMK_BUNDLE_INVALID', `${p.bundle.dir}: no finished stage '${name}'`);
    return rec;
  });
  const schema = (r: StageRecord): string => stableJson(Object.fromEntries(Object.entries(r.schema).filter(([k]) => k !== 'partition')));
  const bad = records.findIndex((r) => schema(r) !== schema(records[0]));
  if (bad > 0) throw new PymkError('PYMK_BAD_INPUT', `${parts[bad].bundle.dir}: stage '${name}' set another schema than in ${parts[0].bundle.dir}`);
  return {
    name,
    version: records[0].version,
    async run(ctx) {
      const rowsOf = async (p: Part): Promise<Int32Array> => {
        const cached = cache.get(p.bundle);
        if (cached) return cached;
        const { offsets } = await p.bundle.readArrays(ARTIFACTS.candidates, { offsets: 'int32' });
        const copy = offsets.slice();
        cache.set(p.bundle, copy);
        return copy;
      };
      const tables = [];
      for (const p of parts) {
        const cols = await p.bundle.readArrays(what.artifact, what.spec);
        const offsets = what.rowsBy === 'own' ? (cols as { offsets: Int32Array }).offsets : await rowsOf(p);
        if (name === 'candidates') cache.set(p.bundle, offsets.slice());
        checkOwned(p, offsets, owners, n, what.artifact);
        tables.push({ offsets, cols });
      }
      await assemble(ctx, what.artifact, what.spec, tables, owners, n, parts[0].partition.block);
      for (const [k, v] of Object.entries(records[0].schema)) if (k !== 'partition') ctx.setSchema(k, v);
      const users = records.reduce((a, r) => a + (typeof r.metrics.users === 'number' ? r.metrics.users : 0), 0);
      return { partitions: parts.length, by: parts[0].partition.by, users, parts: records.map((r) => r.metrics) };
    },
  };
}

/** A part's table must have n + 1 offsets and no rows for users of blocks it does not own. */
function checkOwned(p: Part, offsets: Int32Array, owners: Int32Array, n: number, artifact: string): void {
  if (offsets.length !== n + 1) throw new PymkError('PYMK_BUNDLE_INVALID', `${join(p.bundle.dir, artifact)}: ${offsets.length - 1} users, the snapshot has ${n}`);
  for (let b = 0; b < owners.length; b++) {
    if (owners[b] === p.partition.index) continue;
    const lo = b * p.partition.block;
    const hi = Math.min(n, lo + p.partition.block);
    if (offsets[hi] !== offsets[lo]) {
      throw new PymkError('PYMK_BAD_INPUT', `${join(p.bundle.dir, artifact)}: rows for users ${lo}..${hi - 1}, which partition ${owners[b]}/${p.partition.count} owns, not ${p.partition.index}`);
    }
  }
}

type Table = { offsets: Int32Array; cols: Record<string, { subarray(a: number, b: number): unknown }> };

/** Streams the merged table: block by block, the owner's rows; offsets (when the spec has them) rebased. */
async function assemble(ctx: StageContext, artifact: string, spec: ColumnSpec, tables: Table[], owners: Int32Array, n: number, block: number): Promise<void> {
  await mkdir(dirname(ctx.path(artifact)), { recursive: true });
  const out = await ColumnStreamWriter.open(ctx.path(artifact), spec);
  try {
    const rowCols = Object.keys(spec).filter((c) => c !== 'offsets');
    const withOffsets = 'offsets' in spec;
    if (withOffsets) await out.append({ offsets: Int32Array.of(0) } as never);
    let total = 0;
    for (let b = 0; b < owners.length; b++) {
      const t = tables[owners[b]];
      const lo = b * block;
      const hi = Math.min(n, lo + block);
      const [a, z] = [t.offsets[lo], t.offsets[hi]];
      const slice: Record<string, unknown> = {};
      for (const c of rowCols) slice[c] = t.cols[c].subarray(a, z);
      if (withOffsets) {
        const off = new Int32Array(hi - lo);
        for (let i = 0; i < off.length; i++) off[i] = total + t.offsets[lo + i + 1] - a;
        slice.offsets = off;
      }
      total += z - a;
      await out.append(slice as never);
    }
  } catch (e) {
    await out.close();
    throw e;
  }
  await ctx.writeArrayStream(artifact, out.chunks());
}
