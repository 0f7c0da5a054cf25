/**
 * The embedded default end to end, wired as `pymk serve` wires it (src/cli/freshness.ts): a bundle served
 * from the memory store with the memory event log (the invalidator always on), L1 and L2. A block posted to
 * POST /v1/events leaves the user's answer; /metrics shows the invalidator's lag and counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages } from '../../src/pipeline/stages/index.js';
import { createServer } from '../../src/serve/server.js';
import { closeFreshness, openFreshness, runsInvalidator, startInvalidator } from '../../src/cli/freshness.js';
import { waitFor } from '../helpers/waitFor.js';

const PARAMS = { ...PIPELINE_DEFAULTS, embed: false as const, rank: false as const };

test('memory:// end to end: POST /v1/events → store → L2 and L1 → a fresh answer; lag and counts in /metrics', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-serve-fresh-'));
  try {
    const data = join(root, 'data');
    const bundle = join(root, 'bundle');
    await generateWorld({ users: 300, seed: 9, out: data });
    await runPipeline({ out: bundle, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, progress: 'silent', log: () => {} });
    const config = loadConfig({ bundle, annCandidates: 0, scorer: 'stored' }, {});
    assert.equal(runsInvalidator(config), true, 'the memory log always runs the invalidator in the server');
    const fresh = await openFreshness(config);
    assert.equal(fresh.answers?.kind, 'memory', 'L2 on by default, in memory beside the memory store');
    const server = await createServer(config, { events: fresh.log, invalidations: fresh.bus, answerCache: fresh.answers });
    try {
      await startInvalidator(config, server, fresh, (e) => assert.fail(e));
      let user = '';
      let top = '';
      for (let i = 0; i < 300 && !top; i++) {
        const r = await server.app.inject({ url: `/v1/users/u${i}/recommendations?limit=5` });
        if (r.statusCode === 200 && r.json().recommendations.length > 0) [user, top] = [`u${i}`, r.json().recommendations[0].id];
      }
      assert.ok(top, 'fixture: some user has recommendations');
      const again = await server.app.inject({ url: `/v1/users/${user}/recommendations?limit=5` });
      assert.equal(again.json().cache, 'l1');
      const post = await server.app.inject({ method: 'POST', url: '/v1/events', payload: { id: 'b1', v: 1, at: 1, type: 'block', actor: user, target: top } });
      assert.equal(post.statusCode, 202, post.body);
      await waitFor(async () => {
        const r = await server.app.inject({ url: `/v1/users/${user}/recommendations?limit=5` });
        return !r.json().recommendations.some((x: { id: string }) => x.id === top);
      }, { what: `${top} to leave ${user}'s answer` });
      await waitFor(async () => /pymk_events_applied 1\b/.test((await server.app.inject({ url: '/metrics' })).body), { what: 'the applied count in /metrics' });
      // A ban hides the user from every answer at once, even another user's answer cached in L1.
      let other = '';
      let shown = '';
      for (let i = 0; i < 300 && !shown; i++) {
        if (`u${i}` === user) continue;
        const r = await server.app.inject({ url: `/v1/users/u${i}/recommendations?limit=5` });
        const ids: string[] = r.statusCode === 200 ? r.json().recommendations.map((x: { id: string }) => x.id) : [];
        const pick = ids.find((x) => x !== user && x !== top);
        if (pick) [other, shown] = [`u${i}`, pick];
      }
      assert.equal((await server.app.inject({ url: `/v1/users/${other}/recommendations?limit=5` })).json().cache, 'l1');
      const ban = await server.app.inject({ method: 'POST', url: '/v1/events', payload: { id: 'ban1', v: 1, at: 2, type: 'user.banned', user: shown } });
      assert.equal(ban.statusCode, 202, ban.body);
      await waitFor(async () => {
        const r = (await server.app.inject({ url: `/v1/users/${other}/recommendations?limit=5` })).json();
        return !r.recommendations.some((x: { id: string }) => x.id === shown);
      }, { what: `the banned ${shown} to leave ${other}'s cached answer` });
      await waitFor(async () => /pymk_events_applied 2\b/.test((await server.app.inject({ url: '/metrics' })).body), { what: 'the applied count in /metrics' });
      const m = (await server.app.inject({ url: '/metrics' })).body;
      assert.match(m, /pymk_event_lag 0\b/);
      assert.match(m, /pymk_event_dead_letters 0\b/);
      assert.match(m, /pymk_invalidations_total 3\b/, 'both users of the block, then the banned user, evicted');
      assert.match(m, /pymk_live_exclusions 3\b/, 'the block both ways and the ban');
    } finally {
      await server.close();
      await closeFreshness(fresh);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
