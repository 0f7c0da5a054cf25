/** Finding Chromium for the end-to-end test: a missing browser is an error that says how to install it, never a skip. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CHROMIUM_PATHS, findChromium } from './browser.js';

test('no Chromium: the error says apt-get install chromium; PYMK_CHROMIUM that does not exist says so too', () => {
  assert.throws(() => findChromium({}, ['/nonexistent/chromium']), /apt-get install chromium/);
  assert.throws(() => findChromium({ PYMK_CHROMIUM: '/nonexistent/chromium' }), /PYMK_CHROMIUM=\/nonexistent\/chromium does not exist.*apt-get install chromium/);
});

test('this machine has Chromium where the end-to-end test looks (Debian: apt-get install chromium)', () => {
  const found = findChromium();
  assert.ok(existsSync(found));
  assert.ok(process.env.PYMK_CHROMIUM || CHROMIUM_PATHS.includes(found));
});
