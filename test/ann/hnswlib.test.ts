import { HnswlibIndex } from '../../src/ann/hnswlib.js';
import { indexContract } from './contract.js';

indexContract('hnswlib', (d, m) => HnswlibIndex.create(d, m, { m: 16, efConstruction: 128, ef: 64 }), { recallFloor: 0.97 });
