/** The machine a benchmark ran on, recorded with every result. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  loadAverage: number[];
  /** The SIMD extensions that decide kernel speed (INT8 gains need VNNI), of those this CPU has. */
  simd: string[];
  at: string;
}

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    simd: simdFlags(),
    at: new Date().toISOString(),
  };
}

/** Which of avx2, fma, avx512f/bw, avx512_vnni, avx_vnni, amx_int8 the CPU has (from /proc/cpuinfo; [] elsewhere). */
export function simdFlags(): string[] {
  try {
    const flags = new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
    return ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'amx_int8'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, SIMD ${m.simd.join(' ') || 'none'}, ${m.memoryGiB} GiB, node ${m.node}, load ${m.loadAverage.join('/')} at start; ${m.at}`;
}
