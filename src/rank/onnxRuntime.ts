/**
 * The adapter around ONNX Runtime (the only module that imports onnxruntime-node). A RankSession wraps one
 * inference session: it checks the model's input and output against the schema when loaded, scores a whole
 * candidate matrix in one run, and can be disposed while runs are in flight (the native session is released
 * when the last one finishes), which is what a hot swap needs.
 *
 * Note: onnxruntime-node's run() is asynchronous in name only — the native call is synchronous, scheduled
 * with setImmediate — so each run blocks the event loop for its duration (about 0.1–1 ms for 1,000
 * candidates with the small models here; measured in bench/rank.ts).
 */
import * as ort from 'onnxruntime-node';
import { PymkError } from '../core/errors.js';
import { INPUT_NAME, OUTPUT_NAME } from './mlpGraph.js';

export interface SessionOptions {
  /** Intra-op threads (default 1: scoring runs beside request handling; see the benchmark). */
  threads?: number;
}

export class RankSession {
  private inflight = 0;
  private disposed = false;
  private released = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    /** Features per row the model takes. */
    readonly features: number,
    readonly label: string,
  ) {}

  /** Loads a model from bytes; anything wrong (corrupt bytes, other inputs/outputs) is PYMK_MODEL_INVALID. */
  static async load(bytes: Uint8Array, features: number, label: string, opts: SessionOptions = {}): Promise<RankSession> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: opts.threads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
    } catch (e) {
      throw new PymkError('PYMK_MODEL_INVALID', `${label}: ONNX Runtime cannot load the model: ${(e as Error).message}`);
    }
    const problem = shapeProblem(session, features);
    if (problem) {
      await session.release();
      throw new PymkError('PYMK_MODEL_INVALID', `${label}: ${problem}`);
    }
    return new RankSession(session, features, label);
  }

  /** Scores rows × features (row-major); returns one probability per row. */
  async run(x: Float32Array, rows: number): Promise<Float32Array> {
    if (this.disposed) throw new PymkError('PYMK_INTERNAL', `${this.label}: scoring with a disposed model`);
    if (x.length !== rows * this.features) {
      throw new PymkError('PYMK_INTERNAL', `${this.label}: ${x.length} values for ${rows} rows × ${this.features} features`);
    }
    if (rows === 0) return new Float32Array(0);
    this.inflight++;
    try {
      const out = await this.session.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [rows, this.features]) });
      const y = out[OUTPUT_NAME];
      if (!y || y.type !== 'float32' || y.data.length !== rows) {
        throw new PymkError('PYMK_MODEL_INVALID', `${this.label}: output '${OUTPUT_NAME}' is not ${rows} float32 scores`);
      }
      return y.data as Float32Array;
    } finally {
      this.inflight--;
      if (this.disposed && this.inflight === 0) void this.release();
    }
  }

  /** Stops new runs; the native session is released once the runs in flight have finished. */
  dispose(): void {
    this.disposed = true;
    if (this.inflight === 0) void this.release();
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

/** What is wrong with the session's signature for a [N, features] → [N, 1] scorer, or null. */
function shapeProblem(s: ort.InferenceSession, features: number): string | null {
  if (s.inputNames.length !== 1 || s.inputNames[0] !== INPUT_NAME) return `expected one input '${INPUT_NAME}', the model has [${s.inputNames.join(', ')}]`;
  if (!s.outputNames.includes(OUTPUT_NAME)) return `expected an output '${OUTPUT_NAME}', the model has [${s.outputNames.join(', ')}]`;
  const meta = s.inputMetadata?.[0];
  if (meta && meta.isTensor) {
    if (meta.type !== 'float32') return `input '${INPUT_NAME}' is ${meta.type}, expected float32`;
    const d = meta.shape[1];
    if (meta.shape.length !== 2 || (typeof d === 'number' && d !== features)) {
      return `input '${INPUT_NAME}' has shape [${meta.shape.join(', ')}], the feature schema has [N, ${features}]`;
    }
  }
  return null;
}
