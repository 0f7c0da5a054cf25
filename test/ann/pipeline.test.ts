import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { generateWorld } from '../../src/data/generate/index.js';
import { EMBED_ARTIFACTS } from '../../src/embed/checkpoint.js';
import { ExactIndex } from '../../src/ann/exact.js';
import { openBundleIndex } from '../../src/ann/open.js';
import { inlineSearcher } from '../../src/ann/inline.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { annStage } from '../../src/pipeline/stages/ann.js';
import { EMBED_DEFAULTS, embedStage } from '../../src/pipeline/stages/embed.js';
import { graphStage } from '../../src/pipeline/stages/graph.js';
import { ingestStage } from '../../src/pipeline/stages/ingest.js';
import { recall, withTmp } from './fixtures.js';

test('ingest → graph → embed → ann on a generated world: the index over the real embeddings matches exact search', async () => {
  await withTmp(async (dir) => {
    await generateWorld({ users: 400, seed: 9, out: join(dir, 'data') });
    const embed = embedStage({ ...EMBED_DEFAULTS, train: { dim: 16, hidden: 16, fanouts: [4, 4], epochs: 1, batchSize: 256, identity: true } });
    const out = join(dir, 'bundle');
    const r = await runPipeline({ out, stages: [ingestStage(), graphStage(), embed, annStage()], inputs: { data: join(dir, 'data') }, progress: 'silent', log: () => {} });
    assert.equal((r.manifest.stages[3].metrics as { indexed: number }).indexed, 400);
    const b = await openBundle(out, { verify: 'full' });
    const { vectors } = await b.readArrays(EMBED_ARTIFACTS.vectors, { vectors: 'float32' });
    const exact = new ExactIndex(16, 'cos');
    exact.addBatch(Int32Array.from({ length: 400 }, (_, i) => i), vectors);
    const ann = inlineSearcher(openBundleIndex(out));
    const got = [];
    const want = [];
    for (let u = 0; u < 400; u += 10) {
      const h = await ann.searchUser(u, { k: 10, exclude: [u + 1] });
      assert.ok(h && !h.ids.includes(u) && !h.ids.includes(u + 1));
      got.push(h);
      want.push(exact.search(vectors.subarray(u * 16, (u + 1) * 16), { k: 10, exclude: new Set([u, u + 1]) }));
    }
    assert.ok(recall(got, want, 10) >= 0.97, `recall ${recall(got, want, 10)}`);
    await ann.close();
  });
});
