/**
 * The dashboard end to end, in headless Chromium (test/dashboard/browser.ts finds it; absent, the test
 * fails saying `apt-get install chromium`). A real `pymk serve` as the CLI wires it — two pipeline runs in
 * one bundle root, the memory event log with the in-server invalidator, auth on with an admin key — and the
 * built page at /dashboard/. The page: looks a user up (cards, reasons and sources as the API answers),
 * dismisses a candidate and sees the card go, shows the system view with non-zero request counts and the
 * runs side by side, and says so for an unknown user; no console errors, none of its requests 5xx.
 * Screenshots go to bench/results/dashboard/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { EMBED_DEFAULTS } from '../../src/pipeline/stages/embed.js';
import { createServer } from '../../src/serve/server.js';
import { createKey } from '../../src/serve/keys.js';
import { DASHBOARD_DIR } from '../../src/serve/plugins/dashboard.js';
import { closeFreshness, openFreshness, startInvalidator } from '../../src/cli/freshness.js';
import { findChromium, launch } from './browser.js';

const SHOTS = join(process.cwd(), 'bench', 'results', 'dashboard');
/** The e2e test's ports (the range this project's tests use). */
const PORTS = [18521, 18522, 18523, 18524, 18525];
const LIMIT = 10;

/** An API answer as the test reads it (the schemas are the server's; the test compares the page to them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface ApiCard {
  id: string;
  reasons: { type: string; count?: number; sample?: string[]; value?: string }[];
  explain: { source: string };
}

test('dashboard end to end in headless Chromium', async () => {
  const executable = findChromium(); // throws "apt-get install chromium" when absent
  assert.ok(existsSync(join(DASHBOARD_DIR, 'index.html')), `the dashboard is not built in ${DASHBOARD_DIR}: run npm run build`);
  const root = await mkdtemp(join(tmpdir(), 'pymk-dashboard-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  try {
    const data = join(root, 'data');
    await generateWorld({ users: 400, seed: 3, out: data });
    const params = (seed: number, topN: number): PipelineParams => ({
      ...PIPELINE_DEFAULTS,
      candidates: { ...PIPELINE_DEFAULTS.candidates, topN },
      embed: { ...EMBED_DEFAULTS, train: { ...EMBED_DEFAULTS.train, epochs: 1, maxEdges: 2000, seed } },
    });
    const quiet = { progress: 'silent' as const, log: () => {} };
    const older = params(1, 100);
    await runPipeline({ out: join(root, 'bundles', 'run-1'), stages: defaultStages(older), inputs: { data }, params: older, ...quiet });
    const bundle = join(root, 'bundles', 'run-2');
    const current = params(2, 200);
    await runPipeline({ out: bundle, stages: defaultStages(current), inputs: { data }, params: current, ...quiet });
    const keys = join(root, 'keys.json');
    const admin = await createKey(keys, ['admin', 'recommendations:read', 'events:write'], 'dashboard-e2e');

    const config = loadConfig({ bundle, keysFile: keys, host: '127.0.0.1' }, {});
    const fresh = await openFreshness(config);
    const server = await createServer(config, { events: fresh.log, invalidations: fresh.bus, answerCache: fresh.answers });
    const browser = await launch(executable);
    try {
      await startInvalidator(config, server, fresh, (e) => assert.fail(e));
      const base = await listenInRange(server.app);
      const auth = { authorization: `Bearer ${admin.key}` };
      const apiGet = async (path: string) => {
        const r = await fetch(`${base}${path}`, { headers: auth });
        assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
        return (await r.json()) as Json;
      };
      // A user with a full page whose cards have reasons, found through the API.
      let user = '';
      for (let i = 0; i < 400 && !user; i++) {
        const a = await apiGet(`/v1/users/u${i}/recommendations?limit=${LIMIT}&explain=true`);
        if (a.recommendations.length === LIMIT && a.recommendations.every((c: ApiCard) => c.reasons.length > 0)) user = `u${i}`;
      }
      assert.ok(user, 'fixture: some user has a full page with reasons');

      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const consoleErrors: string[] = [];
      const serverErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.url()}`);
      });
      page.on('requestfailed', (r) => serverErrors.push(`failed ${r.url()}: ${r.failure()?.errorText}`));

      await page.goto(`${base}/dashboard/`);
      // Keyboard only: the credential, then the lookup.
      await page.focus('#credential-input');
      await page.keyboard.type(admin.key);
      await page.keyboard.press('Enter');
      await page.getByText('credential set for this tab').waitFor();
      await page.focus('#user-id');
      await page.keyboard.type(user);
      await page.keyboard.press('Enter');
      await page.locator('[data-testid=card]').first().waitFor();

      // The cards, their reasons and sources are the API's answer.
      const answer = await apiGet(`/v1/users/${user}/recommendations?limit=${LIMIT}&explain=true`);
      // Runs in the page (DOM types are not in this project's lib): each card's id, source badge and reasons.
      const shown: { id: string; source: string; reasons: { type: string; text: string }[] }[] = await page.$$eval('[data-testid=card]', (cards: Json[]) =>
        cards.map((c: Json) => ({
          id: c.dataset.id,
          source: c.querySelector('[data-testid=source]')?.textContent,
          reasons: [...c.querySelectorAll('[data-testid=reason]')].map((r: Json) => ({ type: r.dataset.type, text: r.textContent ?? '' })),
        })),
      );
      assert.deepEqual(shown.map((c) => c.id), answer.recommendations.map((c: ApiCard) => c.id), 'the same cards in the same order');
      answer.recommendations.forEach((c: ApiCard, i: number) => {
        assert.equal(shown[i].source, c.explain.source, `${c.id}: the candidate source`);
        assert.deepEqual(shown[i].reasons.map((r) => r.type), c.reasons.map((r) => r.type), `${c.id}: the reasons`);
        for (const [j, r] of c.reasons.entries()) {
          const text = shown[i].reasons[j].text;
          if (r.type === 'mutual_connections') {
            assert.match(text, new RegExp(`^${r.count} mutual`), `${c.id}: the mutual count`);
            for (const name of r.sample ?? []) assert.ok(text.includes(name), `${c.id}: mutual ${name} named in "${text}"`);
          } else if (r.value) assert.ok(text.includes(r.value), `${c.id}: "${text}" names ${r.value}`);
        }
      });
      assert.equal(await page.locator('[data-testid=path]').textContent(), answer.explain.path);
      // What the rules removed and demoted: the same candidates as the API's trace.
      for (const [table, list] of [['removed', answer.explain.removed], ['demoted', answer.explain.demoted]] as const) {
        const rows = await page.locator(`[data-testid=${table}] tbody tr`).evaluateAll((trs: Json[]) => trs.map((tr: Json) => tr.dataset.id));
        assert.deepEqual(rows, list.map((x: { id: string }) => x.id), `the ${table} table`);
      }
      const profile = await apiGet(`/v1/admin/users/${user}`);
      assert.equal(await page.locator('[data-testid=connections]').textContent(), profile.connections.toLocaleString('en-US'));
      await page.screenshot({ path: join(SHOTS, 'user-1280x800.png'), fullPage: true });

      // What-if: dismiss the first card (keyboard: focus its button, Enter) and watch it leave.
      const target = answer.recommendations[0].id as string;
      await page.focus(`[data-testid=card][data-id="${target}"] button[data-action=dismiss]`);
      await page.keyboard.press('Enter');
      await page.locator(`[data-testid=card][data-id="${target}"]`).waitFor({ state: 'detached', timeout: 15_000 });
      await page.getByTestId('whatif-status').filter({ hasText: `${target} left ${user}` }).waitFor();
      const after = await apiGet(`/v1/users/${user}/recommendations?limit=${LIMIT}`);
      assert.ok(!after.recommendations.some((c: ApiCard) => c.id === target), 'the API no longer recommends the dismissed candidate');
      await page.screenshot({ path: join(SHOTS, 'user-after-dismiss.png'), fullPage: true });

      // An unknown user: a clear message, no error in the console (the lookup is a search answering 200).
      await page.fill('#user-id', 'no-such-user-42');
      await page.press('#user-id', 'Enter');
      const unknown = page.getByTestId('unknown-user');
      await unknown.waitFor();
      assert.match((await unknown.textContent()) ?? '', /No user “no-such-user-42” in the served bundle/);
      await page.screenshot({ path: join(SHOTS, 'unknown-user.png') });

      // The system view: non-zero request counts from the server's own metrics.
      await page.focus('nav a[data-view=system]');
      await page.keyboard.press('Enter');
      const total = page.getByTestId('requests-total');
      await total.waitFor();
      const requests = Number(((await total.textContent()) ?? '').replace(/,/g, ''));
      assert.ok(requests > 0, `request count shown: ${requests}`);
      assert.equal(await page.getByTestId('version').textContent(), (await apiGet('/v1/admin/status')).version);
      assert.notEqual(await page.getByTestId('latency').textContent(), '– / – / –', 'latency percentiles shown');
      await page.screenshot({ path: join(SHOTS, 'system-1280x800.png'), fullPage: true });

      // The pipeline runs side by side, with their plots.
      await page.click('nav a[data-view=runs]');
      const runs = page.getByTestId('runs');
      await runs.waitFor();
      const heads = await runs.locator('thead th').allTextContents();
      assert.ok(heads.some((t) => t.startsWith('run-1')) && heads.some((t) => t.startsWith('run-2')), `both runs: ${heads.join(' | ')}`);
      assert.ok((await page.locator('svg.plot rect').count()) > 0, 'the runs are plotted');
      await page.screenshot({ path: join(SHOTS, 'runs-1280x800.png'), fullPage: true });

      // A narrow window: the user view still fits (no horizontal scrolling).
      await page.setViewportSize({ width: 390, height: 800 });
      await page.goto(`${base}/dashboard/#/user/${encodeURIComponent(user)}`);
      await page.locator('[data-testid=card]').first().waitFor();
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      assert.ok(overflow <= 1, `no horizontal overflow at 390 px (${overflow} px)`);
      await page.screenshot({ path: join(SHOTS, 'user-390-narrow.png'), fullPage: true });

      assert.deepEqual(consoleErrors, [], 'no console errors');
      assert.deepEqual(serverErrors, [], "none of the page's requests failed or answered 5xx");
    } finally {
      await browser.close();
      await server.close();
      await closeFreshness(fresh);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/** Listens on the first free port of PORTS; the base URL. */
async function listenInRange(app: { listen: (o: { host: string; port: number }) => Promise<string> }): Promise<string> {
  let last: unknown;
  for (const port of PORTS) {
    try {
      return await app.listen({ host: '127.0.0.1', port });
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`no free port among ${PORTS.join(', ')}: ${(last as Error).message}`);
}
