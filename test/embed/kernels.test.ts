import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { jsKernels, transpose } from '../../src/embed/kernels.js';

/** Brute force C = A·B. */
function naive(A: Float32Array, B: Float32Array, M: number, K: number, N: number): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) C[i * N + j] += A[i * K + k] * B[k * N + j];
  return C;
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `element ${i}: ${a[i]} vs ${b[i]}`);
}

test('mm, mmBt and mmAt equal the brute-force product on shapes that are not multiples of the block', () => {
  const rng = new Rng(3);
  const k = jsKernels();
  for (const [M, K, N] of [[1, 1, 1], [5, 3, 7], [9, 17, 6], [12, 8, 4], [3, 2, 13]]) {
    const A = Float32Array.from({ length: M * K }, () => rng.next() - 0.5);
    const B = Float32Array.from({ length: K * N }, () => rng.next() - 0.5);
    const want = naive(A, B, M, K, N);
    const C = new Float32Array(M * N);
    k.mm(A, B, M, K, N, C);
    close(C, want);
    // mmBt with B given transposed.
    k.mmBt(A, transpose(B, K, N, new Float32Array(K * N)), M, K, N, C);
    close(C, want);
    // mmAt: Aᵀ·X for A (M×K) and X (M×N) = (K×N).
    const X = Float32Array.from({ length: M * N }, () => rng.next() - 0.5);
    const At = transpose(A, M, K, new Float32Array(M * K));
    const C2 = new Float32Array(K * N);
    k.mmAt(A, X, M, K, N, C2);
    close(C2, naive(At, X, K, M, N));
  }
});
