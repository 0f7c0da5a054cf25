/**
 * The generic stage runner. A run builds a bundle in a staging folder next to the target
 * (`<out>.partial`), records each stage in the staging manifest as it finishes, and only when every stage
 * succeeded marks the manifest complete and renames the folder to `<out>` (replacing an older bundle there).
 * A failed or killed run therefore never leaves anything at `<out>` that openBundle() would accept.
 *
 * Resume: a rerun with the same input checksums and params finds `<out>.partial`, keeps the leading stages
 * that finished (same name and version, artifacts verified by SHA-256), deletes everything else in the
 * staging folder and reruns from the first stage that did not finish. Changed inputs or params start over.
 * Runs on the same `<out>` are serialised by a lock file `<out>.lock` (PYMK_BUNDLE_LOCKED).
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isPymkError, PymkError } from '../core/errors.js';
import { artifactProblem, openBundle, readManifest, writeManifest, type Bundle } from '../bundle/bundle.js';
import { hashInput, inputBytes, listFiles } from '../bundle/hash.js';
import { linkOrCopy } from './files.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  fingerprintOf,
  MANIFEST_FILE,
  mergedSchema,
  versionId,
  type InputRecord,
  type Manifest,
  type StageRecord,
} from '../bundle/manifest.js';
import { fmtSeconds, progressFactory, stderrLog, type LogFn, type ProgressFactory, type ProgressMode } from '../core/progress.js';
import { stageParamsSha, StageRun, type Stage } from './stage.js';

export interface RunOptions {
  /** The bundle folder to produce; an existing bundle there is replaced only when the run succeeds. */
  out: string;
  stages: readonly Stage[];
  /**
   * Named inputs: file or folder paths, or sources that checksum themselves (a database, src/data/sources).
   * Their SHA-256 is recorded and decides whether a run may resume.
   */
  inputs?: Record<string, string | RunInput>;
  /** JSON-serialisable settings that affect outputs (seed, k, …); recorded and part of the fingerprint. */
  params?: unknown;
  /**
   * A complete bundle whose artifacts the stages may read (not copied into the output): the shared snapshot
   * of a partition run (docs/pipeline.md#split-across-machines). Name it in `inputs` too, so it is
   * fingerprinted.
   */
  base?: string;
  /**
   * A complete earlier bundle: a stage whose declared params and everything it read (artifacts, inputs) are
   * unchanged since that bundle takes its outputs from there (hard-linked) instead of running. The
   * stage-level fingerprints make a rerun on unchanged data change nothing, and a run with new events only
   * rerun the stages that read events.
   */
  reuseFrom?: string;
  /** Reuse finished stages of an interrupted run with the same inputs (default true). */
  resume?: boolean;
  /** Where log lines go (default: stderr). */
  log?: LogFn;
  /** Progress output: a mode (default 'auto') or a ready factory. */
  progress?: ProgressMode | ProgressFactory;
}

/** An input that is not a path: it sizes and checksums itself (data/sources' Source has this shape). */
export interface RunInput {
  readonly label: string;
  size(): Promise<number>;
  fingerprint(onBytes?: (n: number) => void): Promise<InputRecord>;
}

export interface RunResult {
  /** The published bundle folder (absolute). */
  dir: string;
  manifest: Manifest;
  /** Stages run this time, in order. */
  ran: string[];
  /** Stages taken from an interrupted earlier run. */
  reused: string[];
}

/** The staging folder a run of `out` builds in. */
export const stagingDir = (out: string): string => `${resolve(out)}.partial`;
const lockFile = (out: string): string => `${resolve(out)}.lock`;
const oldDir = (out: string): string => `${resolve(out)}.old`;

const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Runs the stages and publishes the bundle at `out`. Throws PYMK_STAGE_FAILED naming the failed stage. */
export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const out = resolve(opts.out);
  const log = opts.log ?? stderrLog;
  const progress = typeof opts.progress === 'function' ? opts.progress : progressFactory({ mode: opts.progress, log });
  checkStages(opts.stages);
  await mkdir(dirname(out), { recursive: true });
  await assertReplaceable(out);
  const release = await acquireLock(out);
  try {
    const staging = stagingDir(out);
    const inputs = await hashInputs(opts.inputs ?? {}, progress);
    const base = opts.base === undefined ? null : await openBundle(opts.base);
    const earlier = opts.reuseFrom === undefined ? null : await openBundle(opts.reuseFrom);
    const params = JSON.parse(JSON.stringify(opts.params ?? null)) as unknown;
    const fingerprint = fingerprintOf(inputs, params);
    const previous =
      opts.resume === false
        ? null
        : await readManifest(staging).catch((e: unknown) => {
            log(`the interrupted run's manifest in ${staging} cannot be read (${(e as Error).message}): starting over`);
            return null;
          });
    if (previous && previous.fingerprint !== fingerprint) log('inputs or params changed since the interrupted run: starting over');
    const resumed = previous?.fingerprint === fingerprint ? previous : null;
    const keep = resumed ? await reusableStages(staging, resumed, opts.stages) : [];
    if (keep.length) await pruneStaging(staging, new Set(keep.flatMap((s) => s.artifacts)));
    else await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });

    const m: Manifest = {
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_FORMAT_VERSION,
      status: 'building',
      version: null,
      createdAt: null,
      startedAt: resumed?.startedAt ?? new Date().toISOString(),
      fingerprint,
      inputs,
      params,
      stages: opts.stages.map((s, i) => keep[i] ? { ...keep[i], reused: true } : pendingRecord(s)),
      schema: {},
      artifacts: Object.fromEntries(keep.flatMap((s) => s.artifacts.map((a) => [a, resumed!.artifacts[a]]))),
    };
    await writeManifest(staging, m);
    const reused = keep.map((s) => s.name);
    if (reused.length) log(`resuming: reusing stages ${reused.join(', ')} from the interrupted run`);

    const ran: string[] = [];
    try {
      for (let i = keep.length; i < opts.stages.length; i++) {
        const prev = earlier ? await unchangedStage(opts.stages[i], earlier, m, base) : null;
        if (prev) {
          await adoptStage(prev, earlier!, m, i, staging);
          log(`stage ${prev.name}: params and inputs unchanged since ${earlier!.dir}: reused (${earlier!.version})`);
          continue;
        }
        await runStage(opts.stages[i], m.stages[i], m, staging, { params, progress, log, base });
        ran.push(opts.stages[i].name);
      }
    } catch (e) {
      await discardFailed(staging, m, log);
      throw e;
    }

    const now = new Date();
    m.status = 'complete';
    m.createdAt = now.toISOString();
    m.version = versionId(now, m.artifacts);
    m.schema = mergedSchema(m.stages);
    await writeManifest(staging, m);
    await publish(staging, out, log);
    log(`bundle ${m.version} written to ${out}`);
    return { dir: out, manifest: m, ran, reused };
  } finally {
    await release();
  }
}

function pendingRecord(s: Stage): StageRecord {
  return { name: s.name, version: s.version ?? '1', status: 'pending', startedAt: null, ms: null, reused: false, metrics: {}, schema: {}, artifacts: [] };
}

function checkStages(stages: readonly Stage[]): void {
  const seen = new Set<string>();
  for (const s of stages) {
    if (!STAGE_NAME.test(s.name)) throw new PymkError('PYMK_BAD_PARAM', `bad stage name '${s.name}': letters, digits, '-', '_'`);
    if (seen.has(s.name)) throw new PymkError('PYMK_BAD_PARAM', `stage '${s.name}' appears twice`);
    seen.add(s.name);
  }
}

interface RunEnv {
  params: unknown;
  base: Bundle | null;
  progress: ProgressFactory;
  log: LogFn;
}

/** Runs one stage, recording its outcome in the staging manifest either way. */
async function runStage(stage: Stage, rec: StageRecord, m: Manifest, staging: string, env: RunEnv): Promise<void> {
  rec.status = 'running';
  rec.startedAt = new Date().toISOString();
  await writeManifest(staging, m);
  env.log(`stage ${stage.name}: start`);
  const ctx = new StageRun(stage.name, staging, m, env.params, env.progress, env.log, env.base);
  const t0 = performance.now();
  try {
    const metrics = (await stage.run(ctx)) ?? {};
    const stray = await unregisteredFiles(staging, m);
    if (stray.length) {
      throw new PymkError('PYMK_BAD_PARAM', `left files it did not register: ${stray.join(', ')} (write through ctx, or call ctx.addFile)`);
    }
    rec.metrics = JSON.parse(JSON.stringify(metrics)) as Record<string, unknown>;
  } catch (e) {
    rec.status = 'failed';
    rec.ms = performance.now() - t0;
    const msg = isPymkError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
    rec.error = msg;
    for (const a of ctx.artifacts) delete m.artifacts[a];
    m.status = 'failed';
    await writeManifest(staging, m);
    // The whole message travels in the error (the CLI prints it once); the progress line names the code only.
    env.log(`stage ${stage.name}: FAILED after ${fmtSeconds(rec.ms)} (${isPymkError(e) ? e.code : 'error'}; the message follows)`);
    throw new PymkError('PYMK_STAGE_FAILED', `stage '${stage.name}' failed: ${msg}`, { stage: stage.name, cause: e });
  }
  rec.status = 'done';
  rec.ms = performance.now() - t0;
  const paramsSha = stageParamsSha(stage);
  if (paramsSha !== undefined) rec.paramsSha = paramsSha;
  rec.reads = { ...ctx.reads };
  rec.schema = { ...ctx.schema };
  rec.artifacts = [...ctx.artifacts];
  await writeManifest(staging, m);
  env.log(`stage ${stage.name}: done in ${fmtSeconds(rec.ms)}`);
}

/** The earlier bundle's record of this stage when its params and everything it read are unchanged now. */
async function unchangedStage(stage: Stage, earlier: Bundle, m: Manifest, base: Bundle | null): Promise<StageRecord | null> {
  const r = earlier.stage(stage.name);
  const sha = stageParamsSha(stage);
  if (!r || r.status !== 'done' || sha === undefined || r.paramsSha !== sha || !r.reads || Object.keys(r.reads).length === 0) return null;
  for (const [name, read] of Object.entries(r.reads)) {
    const now = name.startsWith('input:') ? m.inputs[name.slice(6)]?.sha256 : (m.artifacts[name]?.sha256 ?? base?.manifest.artifacts[name]?.sha256);
    if (now !== read) return null;
  }
  for (const a of r.artifacts) if (!earlier.has(a) || (await artifactProblem(earlier.dir, a, earlier.manifest.artifacts[a], false))) return null;
  return r;
}

/** Takes an unchanged stage's outputs from the earlier bundle (hard links) and its record. */
async function adoptStage(r: StageRecord, earlier: Bundle, m: Manifest, i: number, staging: string): Promise<void> {
  for (const a of r.artifacts) {
    await linkOrCopy(join(earlier.dir, a), join(staging, a));
    m.artifacts[a] = { ...earlier.manifest.artifacts[a] };
  }
  m.stages[i] = { ...r, reused: true, reusedFrom: earlier.version ?? earlier.dir };
  await writeManifest(staging, m);
}

/** The leading stages of an interrupted run that may be reused: same name/version, done, artifacts verified. */
async function reusableStages(staging: string, prev: Manifest, stages: readonly Stage[]): Promise<StageRecord[]> {
  const keep: StageRecord[] = [];
  for (let i = 0; i < stages.length; i++) {
    const p = prev.stages[i];
    if (!p || p.name !== stages[i].name || p.version !== (stages[i].version ?? '1') || p.status !== 'done') break;
    let ok = true;
    for (const a of p.artifacts) {
      const rec = prev.artifacts[a];
      if (!rec || (await artifactProblem(staging, a, rec, true))) ok = false;
      if (!ok) break;
    }
    if (!ok) break;
    keep.push(p);
  }
  return keep;
}

/**
 * After a failed stage: with no finished stage to resume from (e.g. a failed ingest) the staging folder is
 * removed; otherwise the failed stage's files are deleted and the manifest (status 'failed', the error in
 * the stage's record) stays, so a rerun resumes after the last finished stage.
 */
async function discardFailed(staging: string, m: Manifest, log: LogFn): Promise<void> {
  try {
    if (!m.stages.some((s) => s.status === 'done')) await rm(staging, { recursive: true, force: true });
    else await pruneStaging(staging, new Set(Object.keys(m.artifacts)));
  } catch (e) {
    log(`could not clean up ${staging} after the failure: ${(e as Error).message}`);
  }
}

/** Deletes every file in the staging folder except the manifest and the kept artifacts. */
async function pruneStaging(staging: string, keep: Set<string>): Promise<void> {
  for (const f of await listFiles(staging)) {
    if (f !== MANIFEST_FILE && !keep.has(f)) await rm(join(staging, f), { force: true });
  }
}

async function unregisteredFiles(staging: string, m: Manifest): Promise<string[]> {
  return (await listFiles(staging)).filter((f) => f !== MANIFEST_FILE && !Object.hasOwn(m.artifacts, f));
}

async function hashInputs(paths: Record<string, string | RunInput>, progress: ProgressFactory): Promise<Record<string, InputRecord>> {
  const names = Object.keys(paths).sort();
  let total = 0;
  for (const n of names) {
    const p = paths[n];
    total += typeof p === 'string' ? await inputBytes(p) : await p.size();
  }
  const bar = progress('hashing inputs', total);
  const inputs: Record<string, InputRecord> = {};
  for (const n of names) {
    const p = paths[n];
    inputs[n] = typeof p === 'string' ? await hashInput(p, (b) => bar.tick(b)) : await p.fingerprint((b) => bar.tick(b));
  }
  bar.done();
  return inputs;
}

/** Refuses to replace something at `out` that is not a bundle (an empty folder is fine). */
async function assertReplaceable(out: string): Promise<void> {
  const st = await stat(out).catch(absentAs(null));
  if (!st) return;
  const ok = st.isDirectory() && ((await readdir(out)).length === 0 || (await stat(join(out, MANIFEST_FILE)).catch(absentAs(null))));
  if (!ok) throw new PymkError('PYMK_BAD_PARAM', `refusing to replace ${out}: it exists and is not a pymk bundle`);
}

/** A catch handler: a file that does not exist gives `value`; any other error is rethrown. */
function absentAs<T>(value: T): (e: unknown) => T {
  return (e) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return value;
    throw e;
  };
}

/** Swaps the staging folder into place: `out` → `out.old`, staging → `out`, then drops the old one. */
async function publish(staging: string, out: string, log: LogFn): Promise<void> {
  const old = oldDir(out);
  await rm(old, { recursive: true, force: true });
  let moved = false;
  try {
    await rename(out, old);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await rename(staging, out);
  } catch (e) {
    // The swap's own error propagates; a failed restore is logged, as the previous bundle is left at `old`.
    if (moved) await rename(old, out).catch((re: unknown) => log(`could not move the previous bundle back from ${old} to ${out}: ${(re as Error).message}`));
    throw e;
  }
  if (moved) await rm(old, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<out>.lock` (replacing a stale one left by a dead process); returns the release function. */
async function acquireLock(out: string): Promise<() => Promise<void>> {
  const path = lockFile(out);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // A lock file that vanished or cannot be read names no pid: reported below as held by "another process".
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (!pid || isAlive(pid)) {
      throw new PymkError('PYMK_BUNDLE_LOCKED', `${out} is being built by ${pid ? `process ${pid}` : 'another process'}; lock file ${path}`);
    }
    await rm(path, { force: true });
  }
  throw new PymkError('PYMK_BUNDLE_LOCKED', `could not take the lock ${path}`);
}
