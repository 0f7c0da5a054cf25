/**
 * Reading and validating bundles: the versioned folders that are the only hand-off from the offline
 * pipeline to online serving.
 *
 * Verification policy:
 * - `openBundle(dir)` checks the manifest (present, parseable, status 'complete', every stage done) and that
 *   every listed artifact exists with exactly its recorded size ('fast', the default, a few ms), or also
 *   its SHA-256 (`verify: 'full'`, reads every byte).
 * - Every `read*` call verifies the content it read (unless opened with `verifyOnRead: false`): size
 *   always; typed-array files by their own per-column CRC-32 (cheap, and it covers every byte that
 *   matters); JSON and other files by the SHA-256 in the manifest. So everything serving loads is verified
 *   with a single read.
 * - A read also checks the folder was not replaced since it was opened (a newer run publishing at the same
 *   path); the caller should then reopen.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PymkError } from '../core/errors.js';
import type { WarnFn } from '../core/failures.js';
import { checkColumns, decodeArrays, readColumns, readWholeFile, writeChunks, type Columns, type ColumnSpec, type ColumnsOf } from './binary.js';
import { sha256Bytes, sha256File } from './hash.js';
import { MANIFEST_FILE, parseManifest, type ArtifactRecord, type Manifest, type StageRecord } from './manifest.js';

export interface OpenOptions {
  /** 'fast' (default): sizes only at open; 'full': SHA-256 of every artifact at open. */
  verify?: 'fast' | 'full';
  /** Verify each artifact's content as it is read: CRC-32 for typed arrays, SHA-256 otherwise (default true). */
  verifyOnRead?: boolean;
}

function invalid(file: string, what: string): PymkError {
  return new PymkError('PYMK_BUNDLE_INVALID', `${file}: ${what}`, { file });
}

/** A file system error that means "nothing there" (the file, or a folder on its path, does not exist). */
function isAbsent(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** What a file system error says, for a problem text (node's message starts with the code, e.g. "ELOOP: …"). */
function reason(e: unknown): string {
  return (e as Error).message ?? String(e);
}

/** Reads and parses `<dir>/manifest.json`; null when there is none. */
export async function readManifest(dir: string): Promise<Manifest | null> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (isAbsent(e)) return null;
    throw e;
  }
  return parseManifest(text, file);
}

/** Writes a manifest atomically (temp file, fsync, rename). */
export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeChunks(join(dir, MANIFEST_FILE), [Buffer.from(`${JSON.stringify(m, null, 2)}\n`)]);
}

/**
 * Checks one artifact file against its record: exists and has its size, and with `full` its SHA-256.
 * Returns the problem as text, or null when it verifies.
 */
export async function artifactProblem(dir: string, name: string, rec: ArtifactRecord, full: boolean): Promise<string | null> {
  const path = join(dir, name);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if (isAbsent(e)) return 'missing';
    return `cannot be read (${reason(e)})`;
  }
  if (size !== rec.bytes) return `size ${size} bytes, manifest says ${rec.bytes}`;
  if (full && (await sha256File(path)) !== rec.sha256) return 'checksum mismatch (SHA-256)';
  return null;
}

/**
 * Reads an artifact's bytes and checks its size; with `verify`, also the SHA-256 of non-array files
 * (typed-array files are verified by their CRC-32 when decoded, see decodeArtifact).
 */
export async function readArtifactBytes(dir: string, name: string, rec: ArtifactRecord, verify: boolean): Promise<Buffer> {
  const path = join(dir, name);
  let buf: Buffer;
  try {
    buf = await readWholeFile(path);
  } catch (e) {
    throw invalid(path, isAbsent(e) ? 'artifact file is missing' : `artifact file cannot be read (${reason(e)})`);
  }
  if (buf.length !== rec.bytes) throw invalid(path, `size ${buf.length} bytes, manifest says ${rec.bytes}`);
  if (verify && rec.kind !== 'arrays' && sha256Bytes(buf) !== rec.sha256) throw invalid(path, 'checksum mismatch (SHA-256)');
  return buf;
}

/**
 * Reads some columns of an 'arrays' artifact without reading the others (binary.ts readColumns): the file's
 * size is checked against its record, and with `verify` each column read against its CRC-32.
 */
export async function readArtifactColumns<S extends ColumnSpec>(dir: string, name: string, rec: ArtifactRecord, verify: boolean, expect: S): Promise<ColumnsOf<S>> {
  const path = join(dir, name);
  if (rec.kind !== 'arrays') throw invalid(path, `is a '${rec.kind}' artifact, not typed-array columns`);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw invalid(path, isAbsent(e) ? 'artifact file is missing' : `artifact file cannot be read (${reason(e)})`);
  }
  if (size !== rec.bytes) throw invalid(path, `size ${size} bytes, manifest says ${rec.bytes}`);
  return readColumns(path, expect, { file: path, verify });
}

/** Decodes an 'arrays' artifact, checking its column CRCs when `verify`. */
export function decodeArtifact(buf: Buffer, path: string, verify: boolean, expect?: ColumnSpec): Columns {
  const cols = decodeArrays(buf, { file: path, verify });
  return expect ? checkColumns(cols, expect, path) : cols;
}

/** Looks up an artifact's record or fails naming the bundle and what it has. */
export function artifactRecord(m: Manifest, dir: string, name: string): ArtifactRecord {
  const rec = Object.hasOwn(m.artifacts, name) ? m.artifacts[name] : undefined;
  if (!rec) throw invalid(join(dir, name), `no artifact '${name}' in the bundle (has: ${Object.keys(m.artifacts).join(', ') || 'none'})`);
  return rec;
}

/** An opened, validated bundle. Artifacts are read on demand. */
export class Bundle {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    private readonly ino: number,
    private readonly verifyOnRead: boolean,
  ) {}

  /** Use openBundle(). */
  static async create(dir: string, manifest: Manifest, verifyOnRead: boolean): Promise<Bundle> {
    return new Bundle(dir, manifest, (await stat(dir)).ino, verifyOnRead);
  }

  get version(): string {
    return this.manifest.version as string;
  }

  /** The feature schema the stages set. */
  get schema(): Record<string, unknown> {
    return this.manifest.schema;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.manifest.artifacts, name);
  }

  /** Absolute path of an artifact (for readers that open files themselves, e.g. a model runtime). */
  path(name: string): string {
    artifactRecord(this.manifest, this.dir, name);
    return join(this.dir, name);
  }

  stage(name: string): StageRecord | undefined {
    return this.manifest.stages.find((s) => s.name === name);
  }

  async readBytes(name: string): Promise<Buffer> {
    const rec = artifactRecord(this.manifest, this.dir, name);
    let buf: Buffer;
    try {
      buf = await readArtifactBytes(this.dir, name, rec, this.verifyOnRead);
    } catch (e) {
      await this.assertNotReplaced(); // "replaced, reopen" explains a mismatch better than the mismatch
      throw e;
    }
    await this.assertNotReplaced();
    return buf;
  }

  /** Reads a typed-array artifact; pass `expect` to check column names and dtypes and get precise types. */
  async readArrays(name: string): Promise<Columns>;
  async readArrays<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>>;
  async readArrays(name: string, expect?: ColumnSpec): Promise<Columns> {
    return decodeArtifact(await this.readBytes(name), join(this.dir, name), this.verifyOnRead, expect);
  }

  /** Reads only the columns of `expect` of a typed-array artifact (readArtifactColumns), verified as readArrays verifies them. */
  async readColumns<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>> {
    const rec = artifactRecord(this.manifest, this.dir, name);
    let cols: ColumnsOf<S>;
    try {
      cols = await readArtifactColumns(this.dir, name, rec, this.verifyOnRead, expect);
    } catch (e) {
      await this.assertNotReplaced();
      throw e;
    }
    await this.assertNotReplaced();
    return cols;
  }

  /** Reads a JSON artifact. The type parameter is the caller's claim; validate what matters. */
  async readJson<T = unknown>(name: string): Promise<T> {
    const buf = await this.readBytes(name);
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      throw invalid(join(this.dir, name), 'not valid JSON');
    }
  }

  private async assertNotReplaced(): Promise<void> {
    let ino = -1;
    try {
      ino = (await stat(this.dir)).ino;
    } catch (e) {
      if (!isAbsent(e)) throw e; // absent: removed, reported below; anything else is not ours to explain
    }
    if (ino !== this.ino) {
      throw new PymkError('PYMK_BUNDLE_INVALID', `bundle ${this.dir} was replaced or removed after it was opened; reopen it`, {
        file: this.dir,
      });
    }
  }
}

/**
 * Opens a bundle for reading, refusing one that is incomplete (no manifest, or a build that did not finish:
 * PYMK_BUNDLE_INCOMPLETE) or invalid (bad manifest, missing/size- or checksum-mismatched file:
 * PYMK_BUNDLE_INVALID, naming the file).
 */
export async function openBundle(dir: string, opts: OpenOptions = {}): Promise<Bundle> {
  const m = await readManifest(dir);
  if (!m) {
    throw new PymkError('PYMK_BUNDLE_INCOMPLETE', `${dir} is not a bundle: no ${MANIFEST_FILE} (a build may be in progress or may have failed)`, {
      file: dir,
    });
  }
  if (m.status !== 'complete' || !m.version) {
    throw new PymkError('PYMK_BUNDLE_INCOMPLETE', `${dir}: bundle build is '${m.status}', not complete`, { file: dir });
  }
  const notDone = m.stages.find((s) => s.status !== 'done');
  if (notDone) throw invalid(join(dir, MANIFEST_FILE), `marked complete but stage '${notDone.name}' is '${notDone.status}'`);
  const full = opts.verify === 'full';
  for (const [name, rec] of Object.entries(m.artifacts)) {
    const problem = await artifactProblem(dir, name, rec, full);
    if (problem) throw invalid(join(dir, name), problem);
  }
  return Bundle.create(dir, m, opts.verifyOnRead ?? true);
}

/**
 * The version of the complete bundle at `dir`, or null when there is none (no folder, no manifest) or it is
 * still building. Cheap: reads only the manifest, so a server can poll it to notice a newer bundle and then
 * openBundle() it. A manifest that exists but cannot be read or parsed (permissions, corrupt JSON) is an
 * error: thrown, or with `onError` reported there and null returned (a poller keeps serving what it has).
 */
export async function readBundleVersion(dir: string, onError?: WarnFn): Promise<string | null> {
  try {
    const m = await readManifest(dir);
    return m && m.status === 'complete' ? m.version : null;
  } catch (e) {
    if (!onError) throw e;
    onError(e, `cannot read the bundle manifest in ${dir}`);
    return null;
  }
}
