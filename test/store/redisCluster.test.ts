/**
 * The contract and publish suites on a real 3-master Redis Cluster that this file starts on free ports
 * (redis-server --cluster-enabled + redis-cli --cluster create) and stops afterwards.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keySlot } from '../../src/store/keys.js';
import { startCluster, type TestCluster } from '../helpers/redisCluster.js';
import { redisServerSkip } from '../helpers/services.js';
import { storeContract } from './contract.js';
import { kvHarness } from './kvHarness.js';
import { publishSuite } from './publishSuite.js';

const why = await redisServerSkip();
const cluster: TestCluster | null = why ? null : await startCluster(3);
after(() => cluster?.stop());

storeContract('redis-cluster (3 masters)', cluster ? kvHarness(cluster.url) : null, why || undefined);
publishSuite('redis-cluster (3 masters)', cluster ? kvHarness(cluster.url) : null, why || undefined);

test('key slots computed here equal CLUSTER KEYSLOT', { skip: why }, async () => {
  const keys = ['pymk:g1:{42}c', 'pymk:g1:{p7}p1234', 'pymk:g1:id:u{9}:ü', 'plain', 'a{}b', 'x{}{y}', '{', 'pymk:current'];
  for (const k of keys) {
    const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(cluster!.ports[0]), 'cluster', 'keyslot', k]);
    assert.equal(keySlot(k), Number(stdout.trim()), k);
  }
});
