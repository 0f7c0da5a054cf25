/**
 * Writes a dataset folder in the standard formats (docs/formats.md) from rows an adapter produces:
 * connections.csv (`src,dst[,ts]`), users.jsonl, dataset.json. Text goes out in ~1 MB chunks through a
 * stream that respects backpressure.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Profile } from '../../core/tables.js';
import { csvField } from '../readers/fields.js';

const CHUNK = 1 << 20;

/** A text file written in large chunks. */
export class TextSink {
  private readonly stream: WriteStream;
  private buf = '';
  private error: Error | null = null;

  constructor(path: string) {
    this.stream = createWriteStream(path);
    this.stream.on('error', (e) => (this.error = e));
  }

  async write(text: string): Promise<void> {
    this.buf += text;
    if (this.buf.length >= CHUNK) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((res, rej) => this.stream.end((e?: Error | null) => (e ? rej(e) : res())));
    if (this.error) throw this.error;
  }

  private async flush(): Promise<void> {
    if (this.error) throw this.error;
    const ok = this.stream.write(this.buf);
    this.buf = '';
    if (!ok) await once(this.stream, 'drain');
  }
}

export interface ConnectionRow {
  src: string;
  dst: string;
  /** Epoch seconds; 0 or undefined = unknown. */
  ts?: number;
}

export interface DatasetSpec {
  dir: string;
  name: string;
  description?: string;
  source?: string;
  directed?: boolean;
  connections: Iterable<ConnectionRow>;
  /** Whether to write a ts column. */
  withTime: boolean;
  profiles?: Iterable<Profile>;
}

export const STANDARD_FILES = { manifest: 'dataset.json', connections: 'connections.csv', profiles: 'users.jsonl' } as const;

/** Writes the folder; returns the number of connection and profile rows written. */
export async function writeDataset(spec: DatasetSpec): Promise<{ connections: number; profiles: number }> {
  await mkdir(spec.dir, { recursive: true });
  const c = new TextSink(join(spec.dir, STANDARD_FILES.connections));
  await c.write(spec.withTime ? 'src,dst,ts\n' : 'src,dst\n');
  let nc = 0;
  for (const r of spec.connections) {
    const ends = `${csvField(r.src)},${csvField(r.dst)}`;
    await c.write(spec.withTime ? `${ends},${r.ts ? r.ts : ''}\n` : `${ends}\n`);
    nc++;
  }
  await c.close();
  let np = 0;
  if (spec.profiles) {
    const p = new TextSink(join(spec.dir, STANDARD_FILES.profiles));
    for (const u of spec.profiles) {
      await p.write(profileLine(u));
      np++;
    }
    await p.close();
  }
  const manifest = {
    name: spec.name,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.source ? { source: spec.source } : {}),
    connections: { path: STANDARD_FILES.connections, directed: spec.directed ?? false },
    ...(spec.profiles ? { profiles: { path: STANDARD_FILES.profiles } } : {}),
  };
  await writeFile(join(spec.dir, STANDARD_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
  return { connections: nc, profiles: np };
}

/** One users.jsonl line (field names as in docs/formats.md). */
export function profileLine(u: Profile): string {
  return (
    JSON.stringify({
      id: u.id,
      company: u.company,
      school: u.school,
      location: u.location,
      industry: u.industry,
      seniority: u.seniority,
      joined_at: u.joinedAt,
      deactivated: u.deactivated,
      banned: u.banned,
    }) + '\n'
  );
}
