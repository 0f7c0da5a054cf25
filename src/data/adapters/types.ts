/** The contract of a dataset adapter: convert a public dataset's own files into a standard dataset folder. */

export interface AdapterResult {
  /** Named counts (users, connections, profile coverage …) for tests and tools. */
  counts: Record<string, number>;
  /** A human summary, one line each. */
  lines: string[];
}

export interface Adapter {
  name: string;
  /** One line for `pymk import --help`. */
  description: string;
  /** The default source folder. */
  defaultSrc: string;
  run(src: string, out: string): Promise<AdapterResult>;
}
