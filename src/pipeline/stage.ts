/**
 * What a pipeline stage is and what it gets to work with. A stage reads inputs and earlier stages'
 * artifacts, writes its own artifacts into the staging bundle, and returns metrics for the manifest.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PymkError, unknownName } from '../core/errors.js';
import { writeArrays, writeChunks, type Columns, type ColumnSpec, type ColumnsOf, type WrittenFile } from '../bundle/binary.js';
import { artifactRecord, decodeArtifact, readArtifactBytes, readArtifactColumns, type Bundle } from '../bundle/bundle.js';
import { sha256File } from '../bundle/hash.js';
import { createHash } from 'node:crypto';
import { MANIFEST_FILE, stableJson, type ArtifactKind, type ArtifactRecord, type InputRecord, type Manifest } from '../bundle/manifest.js';
import type { LogFn, ProgressFactory } from '../core/progress.js';

/** Metrics a stage reports (JSON-serialisable); recorded in the manifest. */
export type Metrics = Record<string, unknown>;

/** One step of the pipeline. */
export interface Stage {
  /** Unique within a pipeline: letters, digits, '-' and '_'. */
  readonly name: string;
  /** Change it when the stage's output changes for the same inputs, so resume reruns it (default '1'). */
  readonly version?: string;
  /**
   * The settings its output depends on, besides what it reads through its context (JSON). Declaring them
   * lets a later run reuse the stage's outputs when these and everything it read are unchanged
   * (`runPipeline({ reuseFrom })`); a stage that declares none always reruns.
   */
  readonly params?: unknown;
  run(ctx: StageContext): Promise<Metrics | void>;
}

/** Everything a stage may touch. Artifact names are relative paths inside the bundle, e.g. 'graph.bin'. */
export interface StageContext {
  /** This stage's name. */
  readonly name: string;
  /** The staging bundle folder (write there only through `path()` + `addFile()` or the write methods). */
  readonly dir: string;
  /** The run's inputs with their checksums. */
  readonly inputs: Readonly<Record<string, InputRecord>>;
  /** The run's params (part of the resume fingerprint). */
  readonly params: unknown;
  /** Creates progress bars for long loops. */
  readonly progress: ProgressFactory;
  /** Logs a line, prefixed with the stage name. */
  log(line: string): void;
  /** The path of a named input, or PYMK_UNKNOWN_NAME listing the inputs there are. */
  input(name: string): string;
  /** Writes named typed-array columns as one artifact. */
  writeArrays(name: string, cols: Columns): Promise<void>;
  /** Writes a typed-array artifact from already encoded chunks (ColumnStreamWriter.chunks()), for columns too big to hold. */
  writeArrayStream(name: string, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** Writes a JSON artifact. */
  writeJson(name: string, value: unknown): Promise<void>;
  /** Absolute path for an artifact a stage writes itself (e.g. a model file); register it with addFile(). */
  path(name: string): string;
  /**
   * Registers a file the stage wrote at path(name): it is checksummed and listed in the manifest. `kind`:
   * what it holds (default 'file'; 'arrays'/'json' for a file in those formats written or copied as bytes).
   */
  addFile(name: string, kind?: ArtifactKind): Promise<void>;
  /** Whether an artifact exists (from this stage, an earlier one, or the run's base bundle). */
  has(name: string): boolean;
  /** The SHA-256 recorded for an artifact of this run (or its base bundle) without reading it; null when there is none. */
  checksum(name: string): string | null;
  /** An artifact's bytes, verified against its checksum. */
  readBytes(name: string): Promise<Buffer>;
  /** Reads an artifact of this or an earlier stage, verified against its checksum. */
  readArrays(name: string): Promise<Columns>;
  readArrays<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>>;
  /** Reads only the columns of `expect` of a typed-array artifact (each verified by its CRC-32), not the whole file. */
  readColumns<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>>;
  readJson<T = unknown>(name: string): Promise<T>;
  /** Sets one entry of the bundle's feature schema (free-form; later stages win per key). */
  setSchema(key: string, value: unknown): void;
}

/** Milliseconds as seconds to two decimals, for the timings stages report in their metrics. */
export const roundSeconds = (ms: number): number => Math.round(ms / 10) / 100;

/** SHA-256 of a stage's name, version and declared params; undefined when it declares none. */
export function stageParamsSha(s: Stage): string | undefined {
  if (s.params === undefined) return undefined;
  return createHash('sha256').update(stableJson({ name: s.name, version: s.version ?? '1', params: s.params })).digest('hex');
}

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** Checks an artifact name is a plain relative path inside the bundle. */
export function checkArtifactName(name: string): void {
  if (!NAME_RE.test(name) || name === MANIFEST_FILE || /\.tmp-\d+$/.test(name)) {
    throw new PymkError(
      'PYMK_BAD_PARAM',
      `bad artifact name '${name}': use a relative path of letters, digits, '.', '-', '_' (not '${MANIFEST_FILE}')`,
    );
  }
}

/**
 * The StageContext of one stage run; it records artifacts into the (in-progress) manifest. With a `base`
 * bundle (a partition run's shared snapshot), artifacts this run has not written are read from the base.
 */
export class StageRun implements StageContext {
  readonly schema: Record<string, unknown> = {};
  readonly artifacts: string[] = [];
  /** Artifacts (by name) and inputs (`input:<name>`) this stage read, with their SHA-256. */
  readonly reads: Record<string, string> = {};

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly manifest: Manifest,
    readonly params: unknown,
    readonly progress: ProgressFactory,
    private readonly logFn: LogFn,
    private readonly base: Bundle | null = null,
  ) {}

  get inputs(): Readonly<Record<string, InputRecord>> {
    return this.manifest.inputs;
  }

  log(line: string): void {
    this.logFn(`[${this.name}] ${line}`);
  }

  input(name: string): string {
    if (!Object.hasOwn(this.manifest.inputs, name)) throw unknownName('input', name, Object.keys(this.manifest.inputs));
    this.reads[`input:${name}`] = this.manifest.inputs[name].sha256;
    return this.manifest.inputs[name].path;
  }

  path(name: string): string {
    checkArtifactName(name);
    return join(this.dir, name);
  }

  has(name: string): boolean {
    return this.owns(name) || (this.base?.has(name) ?? false);
  }

  checksum(name: string): string | null {
    if (Object.hasOwn(this.manifest.artifacts, name)) return this.manifest.artifacts[name].sha256;
    return this.base?.manifest.artifacts[name]?.sha256 ?? null;
  }

  /** Written in this run (finished or in flight). */
  private owns(name: string): boolean {
    return Object.hasOwn(this.manifest.artifacts, name) || this.pending.has(name);
  }

  /** Where artifact `name` is read from — the base bundle, or this run's record of it — with the read recorded. */
  private readFrom(name: string): Bundle | ArtifactRecord {
    if (this.base && !this.owns(name) && this.base.has(name)) {
      this.reads[name] = this.base.manifest.artifacts[name].sha256;
      return this.base;
    }
    const rec = artifactRecord(this.manifest, this.dir, name);
    if (!this.artifacts.includes(name)) this.reads[name] = rec.sha256;
    return rec;
  }

  async readBytes(name: string): Promise<Buffer> {
    const from = this.readFrom(name);
    return 'dir' in from ? from.readBytes(name) : readArtifactBytes(this.dir, name, from, true);
  }

  async writeArrays(name: string, cols: Columns): Promise<void> {
    await this.record(name, 'arrays', (p) => writeArrays(p, cols));
  }

  async writeArrayStream(name: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    await this.record(name, 'arrays', (p) => writeChunks(p, chunks));
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await this.record(name, 'json', (p) => writeChunks(p, [Buffer.from(JSON.stringify(value))]));
  }

  async addFile(name: string, kind: ArtifactKind = 'file'): Promise<void> {
    await this.record(name, kind, async (p) => {
      const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return null; // reported just below as "no file"
        throw new PymkError('PYMK_BAD_PARAM', `addFile('${name}'): cannot stat ${p} (${e.message})`);
      });
      if (!st?.isFile()) throw new PymkError('PYMK_BAD_PARAM', `addFile('${name}'): no file at ${p}`);
      return { bytes: st.size, sha256: await sha256File(p) };
    });
  }

  async readArrays(name: string): Promise<Columns>;
  async readArrays<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>>;
  async readArrays(name: string, expect?: ColumnSpec): Promise<Columns> {
    return decodeArtifact(await this.readBytes(name), join(this.dir, name), true, expect);
  }

  async readColumns<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>> {
    const from = this.readFrom(name);
    return 'dir' in from ? from.readColumns(name, expect) : readArtifactColumns(this.dir, name, from, true, expect);
  }

  async readJson<T = unknown>(name: string): Promise<T> {
    const buf = await this.readBytes(name);
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      throw new PymkError('PYMK_BUNDLE_INVALID', `${join(this.dir, name)}: not valid JSON`, { file: join(this.dir, name) });
    }
  }

  setSchema(key: string, value: unknown): void {
    this.schema[key] = value;
  }

  /** Names claimed by writes still in flight (so two writes of one name fail at once). */
  private readonly pending = new Set<string>();

  private async record(name: string, kind: ArtifactKind, write: (path: string) => Promise<WrittenFile>): Promise<void> {
    const path = this.path(name);
    if (this.owns(name)) {
      const owner = this.manifest.artifacts[name]?.stage ?? this.name;
      throw new PymkError('PYMK_BAD_PARAM', `artifact '${name}' was already written by stage '${owner}'`);
    }
    this.pending.add(name);
    try {
      await mkdir(dirname(path), { recursive: true });
      const w = await write(path);
      this.manifest.artifacts[name] = { stage: this.name, kind, bytes: w.bytes, sha256: w.sha256 };
      this.artifacts.push(name);
    } finally {
      this.pending.delete(name);
    }
  }
}
