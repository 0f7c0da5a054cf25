import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPymkError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/core/config.js';

test('PYMK_ANN_LOG_WRITER: true by default, set from the environment, a bad value refused naming the field', () => {
  assert.equal(loadConfig({}, {}).annLogWriter, true);
  assert.equal(loadConfig({}, { PYMK_ANN_LOG_WRITER: 'false' }).annLogWriter, false);
  assert.equal(loadConfig({}, { PYMK_ANN_LOG_WRITER: '1' }).annLogWriter, true);
  assert.throws(() => loadConfig({}, { PYMK_ANN_LOG_WRITER: 'maybe' }), (e) => isPymkError(e) && e.code === 'PYMK_CONFIG' && e.message.includes('annLogWriter'));
});

test('a variable set but empty is unset: the default applies (PYMK_KEYS_FILE= does not fail the config)', () => {
  const c = loadConfig({}, { PYMK_KEYS_FILE: '', PYMK_DEADLINE_MS: '', PYMK_SHUTDOWN_DELAY_MS: '' });
  assert.equal(c.keysFile, undefined);
  assert.equal(c.deadlineMs, loadConfig({}, {}).deadlineMs);
  assert.equal(c.shutdownDelayMs, 2000);
  assert.equal(loadConfig({}, { PYMK_SHUTDOWN_DELAY_MS: '0' }).shutdownDelayMs, 0);
});
