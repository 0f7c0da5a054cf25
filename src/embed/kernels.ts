/**
 * Dense matrix products for the encoder's dense layers, row-major Float32Array.
 *
 * The typed-array kernel computes every product as A·Bᵀ with both operands walked along contiguous rows,
 * four rows of A against four rows of Bᵀ at a time (16 accumulators in registers), transposing an operand
 * into a reused scratch buffer first when needed. Measured against @tensorflow/tfjs-backend-wasm on the
 * encoder's layer sizes in bench/embedKernels.ts (numbers in docs/embeddings.md); anything implementing
 * DenseKernels can be passed to training and inference instead.
 */

/** The three products backpropagation through a dense layer needs. Outputs are overwritten. */
export interface DenseKernels {
  readonly name: string;
  /** C[M×N] = A[M×K] · B[K×N]. */
  mm(A: Float32Array, B: Float32Array, M: number, K: number, N: number, C: Float32Array): void;
  /** C[M×N] = A[M×K] · B[N×K]ᵀ. */
  mmBt(A: Float32Array, B: Float32Array, M: number, K: number, N: number, C: Float32Array): void;
  /** C[K×N] = A[M×K]ᵀ · B[M×N]. */
  mmAt(A: Float32Array, B: Float32Array, M: number, K: number, N: number, C: Float32Array): void;
}

/** out[N×M] = A[M×N]ᵀ. */
export function transpose(A: Float32Array, M: number, N: number, out: Float32Array): Float32Array {
  for (let i = 0; i < M; i++) {
    const r = i * N;
    for (let j = 0; j < N; j++) out[j * M + i] = A[r + j];
  }
  return out;
}

/** C[M×N] = A[M×K] · Bt[N×K]ᵀ: the register-blocked core every product reduces to. */
export function gemmBt(A: Float32Array, Bt: Float32Array, M: number, K: number, N: number, C: Float32Array): void {
  let i = 0;
  for (; i + 3 < M; i += 4) {
    const a0 = i * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    let j = 0;
    for (; j + 3 < N; j += 4) {
      const b0 = j * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const y0 = Bt[b0 + k], y1 = Bt[b1 + k], y2 = Bt[b2 + k], y3 = Bt[b3 + k];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      let o = i * N + j;
      C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03;
      o += N;
      C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13;
      o += N;
      C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23;
      o += N;
      C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
    }
    for (; j < N; j++) {
      for (let r = 0; r < 4; r++) C[(i + r) * N + j] = dot(A, (i + r) * K, Bt, j * K, K);
    }
  }
  for (; i < M; i++) for (let j = 0; j < N; j++) C[i * N + j] = dot(A, i * K, Bt, j * K, K);
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, k: number): number {
  let s = 0;
  for (let t = 0; t < k; t++) s += a[ao + t] * b[bo + t];
  return s;
}

/** The typed-array kernels, with their own transpose scratch (not shareable between threads). */
export function jsKernels(): DenseKernels {
  let s1: Float32Array = new Float32Array(0);
  let s2: Float32Array = new Float32Array(0);
  const grow = (a: Float32Array, len: number): Float32Array => (a.length >= len ? a : new Float32Array(Math.max(len, a.length * 2)));
  return {
    name: 'typed-array (4×4 register blocks)',
    mm(A, B, M, K, N, C) {
      s1 = grow(s1, K * N);
      gemmBt(A, transpose(B, K, N, s1), M, K, N, C);
    },
    mmBt(A, B, M, K, N, C) {
      gemmBt(A, B, M, K, N, C);
    },
    mmAt(A, B, M, K, N, C) {
      s1 = grow(s1, M * K);
      s2 = grow(s2, M * N);
      gemmBt(transpose(A, M, K, s1), transpose(B, M, N, s2), K, M, N, C);
    },
  };
}
