/** The folder of files (docs/formats.md) as a Source: today's reader, behind the Source interface. */
import { hashInput, inputBytes } from '../../bundle/hash.js';
import type { InputRecord } from '../../bundle/manifest.js';
import { loadDataset, type LoadOptions } from '../load.js';
import type { World } from '../world.js';
import type { Source } from './types.js';

export class FolderSource implements Source {
  readonly kind = 'folder';

  constructor(readonly label: string) {}

  size(): Promise<number> {
    return inputBytes(this.label);
  }

  fingerprint(onBytes?: (n: number) => void): Promise<InputRecord> {
    return hashInput(this.label, onBytes);
  }

  load(opts: LoadOptions = {}): Promise<World> {
    return loadDataset(this.label, opts);
  }
}
